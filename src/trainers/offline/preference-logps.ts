/** Policy log-probs of chosen and rejected completions from ONE concatenated forward pass. */
import type { Tensor } from '../../tensor/index.ts';
import { collate } from './batching.ts';
import type { CausalLM } from './lm.ts';
import type { EncodedPair } from './reward-model.ts';
import { type SequenceLogps, sequenceLogps } from './sequence-logps.ts';

export function pairLogps(
  model: CausalLM,
  pairs: EncodedPair[],
  padId: number,
): { chosen: SequenceLogps; rejected: SequenceLogps } {
  const batch = collate([...pairs.map((p) => p.chosen), ...pairs.map((p) => p.rejected)], padId);
  const all = sequenceLogps(model.logits(batch.ids, batch.attentionMask), batch);
  const [cs, rs] = all.sum.chunk(2) as [Tensor, Tensor];
  const [cl, rl] = all.lengths.chunk(2) as [Tensor, Tensor];
  return { chosen: { sum: cs, lengths: cl }, rejected: { sum: rs, lengths: rl } };
}
