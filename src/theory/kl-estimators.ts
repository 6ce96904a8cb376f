/**
 * Exact expectations of the per-sample KL estimators (Schulman 2020, "Approximating KL divergence")
 * under y ∼ p, by enumerating a finite support. With ℓ(y) = log(p(y)/q(y)):
 *   k1 = ℓ,   k2 = ½ℓ²,   k3 = (q/p − 1) − log(q/p) = (e^{−ℓ} − 1) + ℓ.
 * E_p[k1] = E_p[k3] = KL(p‖q) (k3 because E_p[q/p − 1] = Σ q − 1 = 0 when supp q ⊆ supp p);
 * E_p[k2] = KL(p‖q) + O(‖p − q‖³), a bias that tests can measure exactly.
 */
import { klDivergence } from './information.ts';

export type KlEstimatorName = 'k1' | 'k2' | 'k3';

/** One estimator's value at a sample whose log-ratio is ℓ = log(p(y)/q(y)). */
export function klEstimatorSample(logRatio: number, estimator: KlEstimatorName): number {
  switch (estimator) {
    case 'k1':
      return logRatio;
    case 'k2':
      return 0.5 * logRatio * logRatio;
    case 'k3':
      return Math.expm1(-logRatio) + logRatio;
  }
}

export interface KlEstimatorExpectations {
  k1: number;
  k2: number;
  k3: number;
  /** KL(p‖q) itself, for the bias E[k] − KL. */
  kl: number;
}

/** E_{y∼p}[k(y)] = Σ_y p(y)·k(y) for k1, k2, k3; p and q strictly positive on a shared support. */
export function klEstimatorExpectations(p: readonly number[], q: readonly number[]): KlEstimatorExpectations {
  const expectation = (estimator: KlEstimatorName) =>
    p.reduce((total, py, y) => total + py * klEstimatorSample(Math.log(py / q[y]!), estimator), 0);
  return { k1: expectation('k1'), k2: expectation('k2'), k3: expectation('k3'), kl: klDivergence(p, q) };
}
