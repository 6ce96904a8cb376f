/**
 * Numerical maximisation of a concave objective J(π) over the interior of the probability simplex:
 * equality-constrained Newton in π with a finite-difference Hessian of the supplied gradient,
 *   [H  −1] [d]   [−g]
 *   [1ᵀ  0] [λ] = [ 0],   g = ∂J/∂π,  H ≈ ∂²J/∂π²  (central differences of g),
 * a fraction-to-boundary step cap that keeps π > 0, and an Armijo backtracking search. It stops when
 * the interior KKT residual max_y |g(y) − E_π[g]| is below tolerance. The optimiser sees only J and
 * ∂J/∂π, which is what makes "closed form == numerical optimum" an independent check.
 * (Plain gradient ascent on softmax logits is unsuitable here: ∂J/∂θ_y = π_y(g_y − E_π g) vanishes
 * near vertices although the KKT residual does not, so it stalls at non-optimal points.)
 */
import { solveLinearSystem } from './linear-solve.ts';
import type { SimplexObjective } from './objectives.ts';
import { dot } from './vector-math.ts';

export interface SimplexOptimum {
  policy: number[];
  value: number;
  converged: boolean;
  iterations: number;
  /** max_y |∂J/∂π(y) − E_π[∂J/∂π]| at the returned policy. */
  kktResidual: number;
}

export interface SimplexOptions {
  maxIterations: number;
  kktTolerance: number;
}

const DEFAULTS: SimplexOptions = { maxIterations: 500, kktTolerance: 1e-11 };
const ARMIJO_C = 1e-4;
const BOUNDARY_FRACTION = 0.9;
const RELATIVE_DIFFERENCE_STEP = 1e-5;

/** Maximises J over the simplex of size `size`, starting from the uniform policy. */
export function maximizeOverSimplex(
  objective: SimplexObjective,
  size: number,
  options: Partial<SimplexOptions> = {},
): SimplexOptimum {
  const o = { ...DEFAULTS, ...options };
  let policy = new Array<number>(size).fill(1 / size);
  let iterations = 0;
  for (; iterations < o.maxIterations; iterations++) {
    if (kktResidual(objective, policy) < o.kktTolerance) break;
    const next = newtonStep(objective, policy);
    if (!next) break;
    policy = next;
  }
  const residual = kktResidual(objective, policy);
  return {
    policy,
    value: objective.value(policy),
    converged: residual < o.kktTolerance,
    iterations,
    kktResidual: residual,
  };
}

/** One damped Newton step on the simplex; undefined when no step makes progress. */
function newtonStep(objective: SimplexObjective, policy: number[]): number[] | undefined {
  const gradient = objective.gradient(policy);
  let direction = newtonDirection(objective, policy, gradient);
  if (!direction || dot(gradient, direction) <= 0) direction = mirrorDirection(policy, gradient);
  const slope = dot(gradient, direction);
  const value = objective.value(policy);
  const residual = kktResidual(objective, policy);
  const resolution = 8 * Number.EPSILON * (1 + Math.abs(value));
  for (let step = maxFeasibleStep(policy, direction), trial = 0; trial < 80; trial++, step /= 2) {
    const candidate = policy.map((p, y) => p + step * direction[y]!);
    const candidateValue = objective.value(candidate);
    if (!Number.isFinite(candidateValue)) continue;
    const sufficient = candidateValue >= value + ARMIJO_C * step * slope;
    const flatButCloser =
      Math.abs(candidateValue - value) <= resolution && kktResidual(objective, candidate) < residual;
    if (sufficient || flatButCloser) return renormalize(candidate);
  }
  return undefined;
}

/** Solves the KKT system above for d (tangent: Σ d = 0). */
function newtonDirection(
  objective: SimplexObjective,
  policy: readonly number[],
  gradient: readonly number[],
): number[] | undefined {
  const n = policy.length;
  const hessian = finiteDifferenceHessian(objective, policy);
  const system = hessian.map((row) => [...row, -1]);
  system.push([...new Array<number>(n).fill(1), 0]);
  const solution = solveLinearSystem(system, [...gradient.map((g) => -g), 0]);
  return solution?.slice(0, n);
}

/** Fallback ascent direction π ⊙ (g − E_π g), tangent to the simplex. */
function mirrorDirection(policy: readonly number[], gradient: readonly number[]): number[] {
  const mean = dot(policy, gradient);
  return policy.map((p, y) => p * (gradient[y]! - mean));
}

/** H[i][j] ≈ ∂g_i/∂π_j by central differences with steps proportional to π_j (symmetrised). */
function finiteDifferenceHessian(objective: SimplexObjective, policy: readonly number[]): number[][] {
  const n = policy.length;
  const columns: number[][] = [];
  for (let j = 0; j < n; j++) {
    const h = RELATIVE_DIFFERENCE_STEP * policy[j]!;
    const plus = objective.gradient(policy.map((p, k) => (k === j ? p + h : p)));
    const minus = objective.gradient(policy.map((p, k) => (k === j ? p - h : p)));
    columns.push(plus.map((g, i) => (g - minus[i]!) / (2 * h)));
  }
  return columns.map((_, i) => columns.map((__, j) => (columns[j]![i]! + columns[i]![j]!) / 2));
}

/** The largest t ≤ 1 keeping every π_y + t·d_y ≥ (1 − BOUNDARY_FRACTION)·π_y. */
function maxFeasibleStep(policy: readonly number[], direction: readonly number[]): number {
  let step = 1;
  direction.forEach((d, y) => {
    if (d < 0) step = Math.min(step, (BOUNDARY_FRACTION * policy[y]!) / -d);
  });
  return step;
}

/** Removes the rounding drift of Σπ away from 1. */
function renormalize(policy: readonly number[]): number[] {
  const total = policy.reduce((a, b) => a + b, 0);
  return policy.map((p) => p / total);
}

function kktResidual(objective: SimplexObjective, policy: readonly number[]): number {
  const gradient = objective.gradient(policy);
  const mean = dot(policy, gradient);
  return Math.max(...gradient.map((g) => Math.abs(g - mean)));
}
