/**
 * Sequence log-probabilities log π(y|x) = Σ_t log π(y_t | x, y_<t) over completion tokens, from
 * logits [B, T, V]. Uses the fused cross-entropy so no second [B, T, V] buffer is kept.
 */
import { crossEntropy, type Tensor, tidy } from '../../tensor/index.ts';
import type { TrainingBatch } from './batching.ts';

export interface SequenceLogps {
  /** [B] summed log-probs of the completion tokens. */
  sum: Tensor;
  /** [B] completion lengths (tokens). */
  lengths: Tensor;
}

/** [B, T−1] log-probs of tokens 1..T−1 (zero where the loss mask is 0). */
export function tokenLogps(logits: Tensor, batch: TrainingBatch): Tensor {
  return tidy(() => {
    const [B, T, V] = logits.shape as [number, number, number];
    const targets = batch.ids.slice(1, 1);
    const mask = batch.lossMask.slice(1, 1);
    const masked = targets.maskedFill(mask.eq(0), -100);
    const nll = crossEntropy(logits.slice(1, 0, T - 1).reshape(-1, V), masked.reshape(-1), {
      reduction: 'none',
    });
    return nll
      .reshape(B, T - 1)
      .neg()
      .mul(mask);
  });
}

export function sequenceLogps(logits: Tensor, batch: TrainingBatch): SequenceLogps {
  return tidy(() => ({ sum: tokenLogps(logits, batch).sum(1), lengths: batch.lossMask.slice(1, 1).sum(1) }));
}
