/**
 * GPT-NeoX / Pythia, Llama and Qwen2 exactly as HF configures them: models (causal LM, reward model,
 * value head), HF snapshot folders (load, save, initialise), log-probabilities, KV-cache sampling
 * and the tokenizer.
 * @module models
 */
export * from '../models/index.ts';
