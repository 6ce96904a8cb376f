/**
 * A generic float64 L-BFGS minimiser (Nocedal & Wright, Alg. 7.4 two-loop recursion) with a
 * backtracking Armijo line search. It knows nothing about the theory: it only sees f and ∇f, which
 * is what makes "closed form == numerical optimum" an independent check.
 */
import { dot } from './vector-math.ts';

export type SmoothFunction = (x: readonly number[]) => { value: number; gradient: number[] };

export interface MinimizeOptions {
  maxIterations: number;
  /** Stop when max_i |∂f/∂x_i| falls below this. */
  gradientTolerance: number;
  /** Number of curvature pairs kept. */
  memory: number;
}

export interface MinimizeResult {
  x: number[];
  value: number;
  gradientInfNorm: number;
  iterations: number;
  converged: boolean;
}

const DEFAULTS: MinimizeOptions = { maxIterations: 5000, gradientTolerance: 1e-11, memory: 10 };
const ARMIJO_C = 1e-4;

interface CurvaturePair {
  s: number[];
  y: number[];
  rho: number;
}

/** Minimises f from x0; returns the last iterate and whether the gradient tolerance was reached. */
export function minimizeLbfgs(
  f: SmoothFunction,
  x0: readonly number[],
  options: Partial<MinimizeOptions> = {},
): MinimizeResult {
  const o = { ...DEFAULTS, ...options };
  let x = [...x0];
  let current = f(x);
  const history: CurvaturePair[] = [];
  let iterations = 0;
  for (; iterations < o.maxIterations; iterations++) {
    if (infNorm(current.gradient) < o.gradientTolerance) break;
    let direction = searchDirection(current.gradient, history);
    if (dot(direction, current.gradient) >= 0) {
      history.length = 0;
      direction = current.gradient.map((g) => -g);
    }
    const step = lineSearch(f, x, current, direction, history.length === 0);
    if (!step) {
      if (history.length === 0) break;
      history.length = 0;
      continue;
    }
    rememberCurvature(history, step.x, x, step.evaluation.gradient, current.gradient, o.memory);
    x = step.x;
    current = step.evaluation;
  }
  const gradientInfNorm = infNorm(current.gradient);
  return {
    x,
    value: current.value,
    gradientInfNorm,
    iterations,
    converged: gradientInfNorm < o.gradientTolerance,
  };
}

/** Two-loop recursion: d = −H·g with H the L-BFGS inverse-Hessian approximation. */
function searchDirection(gradient: readonly number[], history: readonly CurvaturePair[]): number[] {
  const q = [...gradient];
  const alphas: number[] = [];
  for (let k = history.length - 1; k >= 0; k--) {
    const pair = history[k]!;
    const a = pair.rho * dot(pair.s, q);
    alphas[k] = a;
    for (let i = 0; i < q.length; i++) q[i]! -= a * pair.y[i]!;
  }
  const last = history[history.length - 1];
  const gammaScale = last ? dot(last.s, last.y) / dot(last.y, last.y) : 1;
  for (let i = 0; i < q.length; i++) q[i]! *= gammaScale;
  for (let k = 0; k < history.length; k++) {
    const pair = history[k]!;
    const b = pair.rho * dot(pair.y, q);
    for (let i = 0; i < q.length; i++) q[i]! += pair.s[i]! * (alphas[k]! - b);
  }
  return q.map((v) => -v);
}

/**
 * Backtracking Armijo search from t = 1 (or t = 1/‖g‖∞ on a steepest-descent step). A step whose
 * value change is below float64 resolution is still taken if it lowers the gradient, so the
 * search can reach gradient tolerances far below √ε.
 */
function lineSearch(
  f: SmoothFunction,
  x: readonly number[],
  current: { value: number; gradient: number[] },
  direction: readonly number[],
  steepest: boolean,
): { x: number[]; evaluation: ReturnType<SmoothFunction> } | undefined {
  const slope = dot(current.gradient, direction);
  let t = steepest ? Math.min(1, 1 / infNorm(direction)) : 1;
  const resolution = 4 * Number.EPSILON * (1 + Math.abs(current.value));
  for (let trial = 0; trial < 60; trial++, t /= 2) {
    const candidate = x.map((xi, i) => xi + t * direction[i]!);
    const evaluation = f(candidate);
    if (!Number.isFinite(evaluation.value)) continue;
    const sufficient = evaluation.value <= current.value + ARMIJO_C * t * slope;
    const flatButBetter =
      Math.abs(evaluation.value - current.value) <= resolution &&
      infNorm(evaluation.gradient) < infNorm(current.gradient);
    if (sufficient || flatButBetter) return { x: candidate, evaluation };
  }
  return undefined;
}

function rememberCurvature(
  history: CurvaturePair[],
  xNew: readonly number[],
  xOld: readonly number[],
  gNew: readonly number[],
  gOld: readonly number[],
  memory: number,
): void {
  const s = xNew.map((v, i) => v - xOld[i]!);
  const y = gNew.map((v, i) => v - gOld[i]!);
  const sy = dot(s, y);
  if (!(sy > 1e-300)) return;
  history.push({ s, y, rho: 1 / sy });
  if (history.length > memory) history.shift();
}

function infNorm(v: readonly number[]): number {
  let m = 0;
  for (const vi of v) m = Math.max(m, Math.abs(vi));
  return m;
}
