/** Judges for win rates: a gold scoring function, or an OpenAI-compatible LLM judge over HTTP. */

export * from './gold-judge.ts';
export * from './http-judge.ts';
export * from './types.ts';
