/**
 * Closed forms for the SimPO population minimiser, derived independently of the optimiser
 * (docs/theory.md, "Theorem 1 as we reconstruct it" and "The target margin γ").
 */
import { logSumExp } from './vector-math.ts';

/**
 * The class representative with unit partition function: the unique c(x) with
 *   Σ_y exp(|y|·(r(x,y) + c(x))/β) = 1,
 * found by bracketing the root of g(c) = logsumexp(|y|(r+c)/β), which is increasing and convex in c
 * (g'(c) = E_π[|y|]/β ≥ min|y|/β, so g(c) ≤ g(0) + c·min|y|/β for c < 0; and g(−min r) ≥ log|Y_x| > 0),
 * then bisection to float64 resolution. With equal lengths L it equals −(β/L)·log Z(x).
 */
export function unitPartitionShift(
  rewards: readonly number[],
  lengths: readonly number[],
  beta: number,
): number {
  const g = (c: number) => logSumExp(rewards.map((r, y) => (lengths[y]! * (r + c)) / beta));
  const slopeBound = Math.min(...lengths) / beta;
  let low = Math.min(0, -g(0) / slopeBound) - 1;
  let high = Math.max(...rewards.map((r) => -r));
  for (let step = 0; step < 200 && high - low > 1e-15 * (1 + Math.abs(high)); step++) {
    const mid = (low + high) / 2;
    if (g(mid) > 0) high = mid;
    else low = mid;
  }
  return (low + high) / 2;
}

/** The Gibbs policy of that representative: π(y|x) = exp(|y|·(r(x,y) + c(x))/β), already normalised. */
export function unitPartitionPolicy(
  rewards: readonly number[],
  lengths: readonly number[],
  beta: number,
): number[] {
  const c = unitPartitionShift(rewards, lengths, beta);
  return rewards.map((r, y) => Math.exp((lengths[y]! * (r + c)) / beta));
}

/**
 * Two responses, margin γ: the implicit-reward difference d = s_1 − s_2 minimising
 *   p·(−log σ(d − γ)) + (1 − p)·(−log σ(−d − γ)),  p = P(y_1 ≻ y_2).
 * Setting the derivative to zero gives (1−p)u² + e^γ(1−2p)u − p = 0 in u = e^d, whose positive root
 * is returned as d = log u. At γ = 0 this is log(p/(1−p)), the reward difference under BT.
 */
export function twoResponseMarginOptimum(preferenceProbability: number, gamma: number): number {
  const p = preferenceProbability;
  const g = Math.exp(gamma);
  const b = g * (1 - 2 * p);
  const discriminant = b * b + 4 * p * (1 - p);
  // Positive root of a·u² + b·u − p = 0, a = 1 − p, in the cancellation-free form 2p/(√Δ − b) when b < 0.
  const root =
    b >= 0 ? (2 * p) / (b + Math.sqrt(discriminant)) : (Math.sqrt(discriminant) - b) / (2 * (1 - p));
  return Math.log(root);
}
