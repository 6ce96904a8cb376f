/**
 * GPT-NeoX / Pythia exactly as HF configures it: models (causal LM, reward model, value head), HF
 * snapshot folders (load, save, initialise), log-probabilities, KV-cache sampling and the tokenizer.
 * @module models
 */
export * from '../models/index.ts';
