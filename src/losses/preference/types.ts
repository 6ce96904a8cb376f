import type { Tensor } from '../../tensor/index.ts';

/**
 * Sequence log-probabilities of a batch of preference pairs, all shape [B].
 * `*Logps` are sums over response tokens of log π(y_t | x, y_<t); lengths are response token counts.
 */
export interface PreferenceLogps {
  policyChosen: Tensor;
  policyRejected: Tensor;
  chosenLengths: Tensor;
  rejectedLengths: Tensor;
  /** Reference-model log-probs; required by reference-based losses (DPO, IPO, hinge, robust). */
  refChosen?: Tensor;
  refRejected?: Tensor;
}

/** A loss value (scalar mean over the batch) with the implicit rewards TRL logs (detached, [B]). */
export interface PreferenceLossOutput {
  loss: Tensor;
  chosenRewards: Tensor;
  rejectedRewards: Tensor;
}

export type PreferenceLossName = 'dpo' | 'cdpo' | 'robust' | 'ipo' | 'hinge' | 'simpo' | 'cpo' | 'orpo';

/** Losses that need a reference model (its log-probs are cached once, see trainers/offline). */
export const REFERENCE_LOSSES: ReadonlySet<PreferenceLossName> = new Set([
  'dpo',
  'cdpo',
  'robust',
  'ipo',
  'hinge',
]);

export function requireRef(l: PreferenceLogps, loss: string): { refChosen: Tensor; refRejected: Tensor } {
  if (!l.refChosen || !l.refRejected)
    throw new Error(`${loss} needs reference log-probs (refChosen, refRejected)`);
  return { refChosen: l.refChosen, refRejected: l.refRejected };
}
