/**
 * What a model snapshot can read, checked before anything runs: token ids below its embedding's
 * rows (`vocab_size`), sequences within `max_position_embeddings` (rotary positions past it were
 * never trained: the model runs, silently worse), and finite weights. Each error names the model
 * folder, the tokenizer and the config key or flag that asked for more.
 */
import { join } from 'node:path';
import { type Tensor, tidy } from '../tensor/index.ts';
import { CONFIG_FILE } from './gptneox/snapshot-files.ts';
import type { ModelConfig } from './model-family.ts';
import { TOKENIZER_FILE } from './tokenizer/tokenizer-files.ts';

/** Throws when `tokenizer` (of `tokenizerDir`) has ids that the embedding of `modelDir` lacks. */
export function assertVocabularyFits(
  tokenizer: { vocabSize: number },
  tokenizerDir: string,
  config: ModelConfig,
  modelDir: string,
): void {
  if (tokenizer.vocabSize <= config.vocabSize) return;
  throw new Error(
    `the tokenizer ${join(tokenizerDir, TOKENIZER_FILE)} has ${tokenizer.vocabSize} tokens, but the model ` +
      `${modelDir} embeds only ${config.vocabSize} (vocab_size in ${join(modelDir, CONFIG_FILE)}): ` +
      'ids beyond it cannot be read; use the tokenizer the model was trained with',
  );
}

/** Throws naming `what` (a config key or a flag) when it needs more positions than the model has. */
export function assertPositionsFit(
  positions: number,
  what: string,
  config: ModelConfig,
  modelDir: string,
): void {
  if (positions <= config.maxPositionEmbeddings) return;
  throw new Error(positionsMessage(positions, what, config, modelDir));
}

export function positionsMessage(positions: number, what: string, config: ModelConfig, modelDir: string) {
  return (
    `${what} needs ${positions} positions, beyond max_position_embeddings ${config.maxPositionEmbeddings} ` +
    `of the model ${modelDir} (${CONFIG_FILE}): positions past it were never trained`
  );
}

/** Throws naming the first weight of `modelDir` holding NaN/Inf and how many such values it has. */
export function assertFiniteWeights(parameters: Map<string, Tensor>, modelDir: string): void {
  for (const [name, t] of parameters) {
    const bad = tidy(() => t.isfinite().logicalNot().sum().item());
    if (bad > 0)
      throw new Error(
        `the model ${modelDir} is unusable: its weight ${name} holds ${bad} non-finite values (NaN/Inf) of ${t.size}`,
      );
  }
}
