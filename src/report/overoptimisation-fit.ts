/**
 * The functional forms of Gao, Schulman & Hilton 2023 ("Scaling Laws for Reward Model
 * Overoptimization", Eq. 1–2) for the gold score gained over the initial policy against
 * d = √KL(π‖π_init):
 *   best-of-n:  R_bon(d) = d·(α − β·d)
 *   RL:         R_RL(d)  = d·(α − β·log d)
 * Both are linear in (α, β), so each fit is ordinary least squares on the features (d, −d²) or
 * (d, −d·log d), without an intercept (R(0) = 0 by construction).
 */
import { leastSquares2 } from './stats.ts';

export type GaoForm = 'rl' | 'bon';

/** One measured point: d = √KL and the gold (or proxy) score gained over the initial policy. */
export interface GaoPoint {
  d: number;
  r: number;
}

export interface GaoFit {
  form: GaoForm;
  alpha: number;
  beta: number;
  r2: number;
  n: number;
}

/** d·log d, continued by its limit 0 at d = 0. */
const dLogD = (d: number) => (d > 0 ? d * Math.log(d) : 0);

/** The fitted curve's value at d. */
export function gaoCurve(fit: Pick<GaoFit, 'form' | 'alpha' | 'beta'>, d: number): number {
  return fit.form === 'rl' ? fit.alpha * d - fit.beta * dLogD(d) : d * (fit.alpha - fit.beta * d);
}

/** Least-squares (α, β) of the given form; needs points at two or more distinct d > 0. */
export function fitGao(form: GaoForm, points: readonly GaoPoint[]): GaoFit {
  for (const p of points)
    if (!(p.d >= 0) || !Number.isFinite(p.r)) throw new Error(`Gao fit: bad point d=${p.d}, r=${p.r}`);
  const d = points.map((p) => p.d);
  const second = form === 'rl' ? d.map((x) => -dLogD(x)) : d.map((x) => -x * x);
  const f = leastSquares2(
    d,
    second,
    points.map((p) => p.r),
  );
  return { form, alpha: f.a, beta: f.b, r2: f.r2, n: f.n };
}
