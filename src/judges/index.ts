/**
 * Judges for win rates: an OpenAI-compatible LLM judge over HTTP, and the rule a scoring judge
 * (the lab's gold judge) decides by.
 */
export * from './http-judge.ts';
export * from './types.ts';
