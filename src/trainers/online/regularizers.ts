/**
 * The regularizers that distinguish the paper's two online objectives:
 *   KL-regularised RLHF:  max E[r] − β·KL(π‖π_ref)       (needs a frozen reference)
 *   Maximum-Entropy RLHF: max E[r] + α·H(π)               (reference-free)
 * Either can act through the reward (per token, as in the TL;DR PPO work) or through the loss.
 */
import { klEstimate, maskedMean } from '../../losses/index.ts';
import { type Tensor, tidy, zeros, zerosLike } from '../../tensor/index.ts';
import type { RegularizerConfig } from './config.ts';

/**
 * Per-token non-score reward for the reward-placed regularizers, [B, R]:
 *   −β·k(log π_old − log π_ref) + α·Ĥ_t,  Ĥ_t = −log π_old(y_t) (sampled) or H(π_old(·|s_t)) (exact).
 */
export function nonScoreReward(
  regularizers: RegularizerConfig,
  oldLogps: Tensor,
  oldEntropy: Tensor,
  refLogps: Tensor | null,
  mask: Tensor,
): Tensor {
  return tidy(() => {
    const { kl, entropy } = regularizers;
    let reward = zerosLike(oldLogps);
    if (kl?.placement === 'reward' && refLogps)
      reward = reward.sub(klEstimate(oldLogps.sub(refLogps), kl.estimator).mul(kl.coef));
    if (entropy?.placement === 'reward') {
      const h = entropy.estimator === 'exact' ? oldEntropy : oldLogps.neg();
      reward = reward.add(h.mul(entropy.coef));
    }
    return reward.mul(mask);
  });
}

/**
 * Loss-placed regularizer terms on the current policy's scores (scalar, to add to the loss),
 * aggregated over tokens like the algorithm's policy loss (default: the mean over all tokens).
 */
export function regularizerLoss(
  regularizers: RegularizerConfig,
  logps: Tensor,
  entropyNow: Tensor,
  refLogps: Tensor | null,
  mask: Tensor,
  aggregate: (perToken: Tensor, mask: Tensor) => Tensor = maskedMean,
): Tensor {
  return tidy(() => {
    const { kl, entropy } = regularizers;
    let loss = zeros([], { dtype: logps.dtype, device: logps.device });
    if (kl?.placement === 'loss' && refLogps)
      loss = loss.add(aggregate(klEstimate(logps.sub(refLogps), kl.estimator), mask).mul(kl.coef));
    if (entropy?.placement === 'loss') {
      const h = entropy.estimator === 'exact' ? entropyNow : logps.neg();
      loss = loss.sub(aggregate(h, mask).mul(entropy.coef));
    }
    return loss;
  });
}

/** Exact per-token KL(p‖q) from full log-distributions [..., V] → [...]. */
export function exactTokenKl(pLog: Tensor, qLog: Tensor): Tensor {
  return tidy(() => pLog.exp().mul(pLog.sub(qLog)).sum(-1));
}
