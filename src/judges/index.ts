/** Judges for win rates: a gold scoring function, or an OpenAI-compatible LLM judge over HTTP. */
export * from './types.ts';
export * from './gold-judge.ts';
export * from './http-judge.ts';
