/**
 * The regularizers that distinguish the paper's two online objectives:
 *   KL-regularised RLHF:  max E[r] − β·KL(π‖π_ref)       (needs a frozen reference)
 *   Maximum-Entropy RLHF: max E[r] + α·H(π)               (reference-free)
 * Either can act through the reward (per token, as in the TL;DR PPO work) or through the loss.
 */
import {
  type EntropyEstimator,
  type KlEstimator,
  entropyFromLogits,
  klEstimate,
  maskedMean,
} from '../../losses/index.ts';
import { type Tensor, tidy } from '../../tensor/index.ts';

export interface RegularizerConfig {
  kl: { coef: number; estimator: KlEstimator; placement: 'reward' | 'loss' } | null;
  entropy: { coef: number; estimator: EntropyEstimator; placement: 'reward' | 'loss' } | null;
}

/**
 * Per-token non-score reward for the reward-placed regularizers, [B, R]:
 *   −β·k(log π_old − log π_ref) + α·Ĥ_t,  Ĥ_t = −log π_old(y_t) (sampled) or H(π_old(·|s_t)) (exact).
 */
export function nonScoreReward(
  cfg: RegularizerConfig,
  oldLogps: Tensor,
  oldEntropy: Tensor,
  refLogps: Tensor | null,
  mask: Tensor,
): Tensor {
  return tidy(() => {
    let r = oldLogps.mul(0);
    if (cfg.kl?.placement === 'reward' && refLogps)
      r = r.sub(klEstimate(oldLogps.sub(refLogps), cfg.kl.estimator).mul(cfg.kl.coef));
    if (cfg.entropy?.placement === 'reward') {
      const h = cfg.entropy.estimator === 'exact' ? oldEntropy : oldLogps.neg();
      r = r.add(h.mul(cfg.entropy.coef));
    }
    return r.mul(mask);
  });
}

/** Loss-placed regularizer terms on the current policy's scores (scalar, to add to the loss). */
export function regularizerLoss(
  cfg: RegularizerConfig,
  logps: Tensor,
  entropy: Tensor,
  refLogps: Tensor | null,
  mask: Tensor,
): Tensor {
  return tidy(() => {
    let loss = logps.sum().mul(0);
    if (cfg.kl?.placement === 'loss' && refLogps)
      loss = loss.add(maskedMean(klEstimate(logps.sub(refLogps), cfg.kl.estimator), mask).mul(cfg.kl.coef));
    if (cfg.entropy?.placement === 'loss') {
      const h = cfg.entropy.estimator === 'exact' ? entropy : logps.neg();
      loss = loss.sub(maskedMean(h, mask).mul(cfg.entropy.coef));
    }
    return loss;
  });
}

/** Exact per-token KL(p‖q) from full log-distributions [..., V] → [...]. */
export function exactTokenKl(pLog: Tensor, qLog: Tensor): Tensor {
  return tidy(() => pLog.exp().mul(pLog.sub(qLog)).sum(-1));
}

export { entropyFromLogits };
