/**
 * Win-rate judges: a scoring function (the lab's gold judge) or an OpenAI-compatible LLM over HTTP.
 * @module judges
 */
export * from '../judges/index.ts';
