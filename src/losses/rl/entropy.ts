/**
 * Entropy of the next-token distribution, H(π(·|s)) = −Σ_v π(v|s)·log π(v|s).
 *   exact:   from the full logits (logsumexp form, no [.., V] probabilities kept beyond one product)
 *   sampled: −log π(y_t|s) of the sampled token, an unbiased single-sample estimate
 */
import { type Tensor, tidy } from '../../tensor/index.ts';

export type EntropyEstimator = 'exact' | 'sampled';

/** Exact entropy per position of logits [..., V] → [...]. */
export function entropyFromLogits(logits: Tensor): Tensor {
  return tidy(() => {
    const logp = logits.logSoftmax(-1);
    return logp.exp().mul(logp).sum(-1).neg();
  });
}

/** Single-sample entropy estimate from the sampled tokens' log-probs. */
export function sampledEntropy(tokenLogps: Tensor): Tensor {
  return tokenLogps.neg();
}
