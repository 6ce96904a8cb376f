/**
 * Sequence log-probabilities log π(y|x) = Σ_t log π(y_t | x, y_<t) over completion tokens, from
 * logits [B, T, V], on the model's one scoring path (TokenDistribution: gather − logsumexp in float32).
 */
import { TokenDistribution } from '../../models/index.ts';
import type { Tensor } from '../../tensor/index.ts';
import { tidy } from '../../tensor/index.ts';
import { collatePairs, type EncodedPair, type TrainingBatch } from './batching.ts';
import type { CausalLM } from './lm.ts';

export interface SequenceLogps {
  /** [B] summed log-probs of the completion tokens. */
  sum: Tensor;
  /** [B] completion lengths (tokens). */
  lengths: Tensor;
}

/** [B, T−1] log-probs of tokens 1..T−1 (zero where the loss mask is 0). */
export function tokenLogps(logits: Tensor, batch: TrainingBatch): Tensor {
  return tidy(() => {
    const T = logits.dim(1);
    const predicting = new TokenDistribution(logits.narrow(1, 0, T - 1));
    return predicting.logProb(batch.ids.slice(1, 1)).mul(batch.lossMask.slice(1, 1));
  });
}

/** [B, T−1] log-probs of a batch's completion tokens under `model` (0 elsewhere), logits only where needed. */
export function modelTokenLogps(model: CausalLM, batch: TrainingBatch): Tensor {
  const targets = batch.lossMask.slice(1, 1);
  if (model.targetLogProbs) return model.targetLogProbs(batch.ids, batch.attentionMask, targets);
  return tokenLogps(model.logits(batch.ids, batch.attentionMask), batch);
}

/** Policy log-probs of chosen and rejected completions from ONE concatenated forward pass. */
export function pairLogps(
  model: CausalLM,
  pairs: EncodedPair[],
  padId: number,
): { chosen: SequenceLogps; rejected: SequenceLogps } {
  const batch = collatePairs(pairs, padId);
  const all = tidy(() => ({
    sum: modelTokenLogps(model, batch).sum(1),
    lengths: batch.lossMask.slice(1, 1).sum(1),
  }));
  const [chosenSum, rejectedSum] = all.sum.chunk(2) as [Tensor, Tensor];
  const [chosenLengths, rejectedLengths] = all.lengths.chunk(2) as [Tensor, Tensor];
  return {
    chosen: { sum: chosenSum, lengths: chosenLengths },
    rejected: { sum: rejectedSum, lengths: rejectedLengths },
  };
}
