/**
 * Per-token KL(π‖π_ref) estimators from samples y ~ π (Schulman 2020, "Approximating KL
 * divergence"), with logRatio = log π(y) − log π_ref(y) and r = π_ref/π = exp(−logRatio):
 *   k1 = logRatio                 unbiased, high variance, can be negative
 *   k2 = ½·logRatio²              biased, low variance (its gradient is the KL's gradient on-policy)
 *   k3 = (r − 1) − log r          unbiased, always ≥ 0
 */
import type { Tensor } from '../../tensor/index.ts';

export type KlEstimator = 'k1' | 'k2' | 'k3';

export function klEstimate(logRatio: Tensor, estimator: KlEstimator): Tensor {
  switch (estimator) {
    case 'k1':
      return logRatio;
    case 'k2':
      return logRatio.square().mul(0.5);
    case 'k3':
      return logRatio.neg().expm1().add(logRatio);
  }
}
