/**
 * The few statistics the multi-seed report needs: Student-t intervals of a mean over seeds, the
 * Pearson correlation with its Fisher-z interval, and least squares linear in two coefficients
 * (the over-optimisation fits of Gao et al. 2023). Pure functions on plain numbers.
 */
import { mulberry32, shuffleInPlace } from '../util/prng.ts';

/** Mean ± half-width of a two-sided confidence interval (null bounds with fewer than 2 values). */
export interface Interval {
  n: number;
  mean: number;
  low: number | null;
  high: number | null;
  level: number;
}

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('mean of no values');
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

/** Sample standard deviation (divisor n − 1). */
export function sampleStd(xs: readonly number[]): number {
  if (xs.length < 2) throw new Error('sample standard deviation needs at least 2 values');
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
}

/**
 * P(T ≤ t) for Student's t with an integer number of degrees of freedom, by the exact finite series
 * of Abramowitz & Stegun 26.7.3–4: with θ = atan(t/√ν), A = P(|T| ≤ |t|) is
 *   ν odd:  (2/π)·(θ + sin θ·(cos θ + ⅔cos³θ + … + (2·4…(ν−3))/(1·3…(ν−2))·cos^{ν−2}θ))
 *   ν even: sin θ·(1 + ½cos²θ + (1·3)/(2·4)cos⁴θ + … + (1·3…(ν−3))/(2·4…(ν−2))·cos^{ν−2}θ)
 */
export function studentTCdf(t: number, df: number): number {
  if (!Number.isInteger(df) || df < 1)
    throw new Error(`degrees of freedom must be an integer >= 1, got ${df}`);
  const theta = Math.atan(Math.abs(t) / Math.sqrt(df));
  const s = Math.sin(theta);
  const c = Math.cos(theta);
  let a: number;
  if (df % 2 === 1) {
    let sum = 0;
    let term = c;
    for (let k = 3; k <= df; k += 2) {
      sum += term;
      term *= (c * c * (k - 1)) / k;
    }
    a = (2 / Math.PI) * (theta + s * sum);
  } else {
    let sum = 1;
    let term = 1;
    for (let k = 2; k < df; k += 2) {
      term *= (c * c * (k - 1)) / k;
      sum += term;
    }
    a = s * sum;
  }
  return t >= 0 ? 0.5 + a / 2 : 0.5 - a / 2;
}

/** The p-quantile of Student's t with `df` degrees of freedom (bisection on the CDF). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`quantile level must be in (0, 1), got ${p}`);
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * Math.max(1, hi); i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** The p-quantile of the standard normal (the t quantile's limit, df → ∞, by bisection on erf). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`quantile level must be in (0, 1), got ${p}`);
  const cdf = (z: number) => 0.5 * (1 + erf(z / Math.SQRT2));
  let lo = -40;
  let hi = 40;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (cdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** erf by its series (|x| < 3) or the continued fraction of erfc: about 1e-15 relative. */
function erf(x: number): number {
  if (x < 0) return -erf(-x);
  if (x < 3) {
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= (-x * x) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(−x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …))))
  let f = x;
  for (let k = 60; k >= 1; k--) f = x + k / 2 / f;
  return 1 - Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

/** Mean and two-sided Student-t interval: mean ± t_{(1+level)/2, n−1} · s/√n. */
export function tInterval(xs: readonly number[], level = 0.95): Interval {
  const m = mean(xs);
  if (xs.length < 2) return { n: xs.length, mean: m, low: null, high: null, level };
  const half = (studentTQuantile((1 + level) / 2, xs.length - 1) * sampleStd(xs)) / Math.sqrt(xs.length);
  return { n: xs.length, mean: m, low: m - half, high: m + half, level };
}

/** Pearson's r with the Fisher-z interval tanh(atanh r ± z_{(1+level)/2}/√(n − 3)) (null below 4 points). */
export interface Correlation {
  n: number;
  r: number;
  low: number | null;
  high: number | null;
  level: number;
}

export function pearson(xs: readonly number[], ys: readonly number[], level = 0.95): Correlation {
  if (xs.length !== ys.length) throw new Error(`correlation of ${xs.length} against ${ys.length} values`);
  if (xs.length < 2) throw new Error('correlation needs at least 2 points');
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
    syy += (ys[i]! - my) ** 2;
  }
  if (sxx === 0 || syy === 0) throw new Error('correlation of a constant series is undefined');
  const r = sxy / Math.sqrt(sxx * syy);
  const n = xs.length;
  if (n < 4) return { n, r, low: null, high: null, level };
  const z = Math.atanh(Math.max(-1 + 1e-15, Math.min(1 - 1e-15, r)));
  const half = normalQuantile((1 + level) / 2) / Math.sqrt(n - 3);
  return { n, r, low: Math.tanh(z - half), high: Math.tanh(z + half), level };
}

/** y ≈ a·f(x) + b·g(x) by least squares (no intercept), with R² = 1 − SS_res/SS_tot. */
export interface TwoCoefficientFit {
  a: number;
  b: number;
  r2: number;
  n: number;
}

export function leastSquares2(
  f: readonly number[],
  g: readonly number[],
  y: readonly number[],
): TwoCoefficientFit {
  const n = y.length;
  if (f.length !== n || g.length !== n)
    throw new Error('least squares: features and targets differ in length');
  let ff = 0;
  let fg = 0;
  let gg = 0;
  let fy = 0;
  let gy = 0;
  for (let i = 0; i < n; i++) {
    ff += f[i]! * f[i]!;
    fg += f[i]! * g[i]!;
    gg += g[i]! * g[i]!;
    fy += f[i]! * y[i]!;
    gy += g[i]! * y[i]!;
  }
  const det = ff * gg - fg * fg;
  if (!(Math.abs(det) > 1e-12 * Math.max(ff * gg, 1e-300)))
    throw new Error(`least squares: the two features are collinear over these ${n} points`);
  const a = (fy * gg - gy * fg) / det;
  const b = (gy * ff - fy * fg) / det;
  const my = mean(y);
  let res = 0;
  let tot = 0;
  for (let i = 0; i < n; i++) {
    res += (y[i]! - a * f[i]! - b * g[i]!) ** 2;
    tot += (y[i]! - my) ** 2;
  }
  return { a, b, r2: tot > 0 ? 1 - res / tot : Number.NaN, n };
}

/**
 * A mean of proportions over seeds with a two-sided interval that stays in [0, 1]: the Student-t
 * interval of the logits, mapped back (values are clamped to [ε, 1 − ε] first, ε = 1e-3, so a
 * seed at exactly 0 or 1 stays finite). `mean` is the arithmetic mean of the values, and the
 * interval always contains it.
 */
export function logitTInterval(xs: readonly number[], level = 0.95): Interval {
  const m = mean(xs);
  if (xs.length < 2) return { n: xs.length, mean: m, low: null, high: null, level };
  const eps = 1e-3;
  const logit = (p: number) => {
    const q = Math.min(1 - eps, Math.max(eps, p));
    return Math.log(q / (1 - q));
  };
  const t = tInterval(xs.map(logit), level);
  const expit = (z: number) => 1 / (1 + Math.exp(-z));
  // The arithmetic mean is shown with it: where clamping (values at 0 or 1) leaves it outside the
  // mapped-back interval, the interval is widened to include it.
  return { n: xs.length, mean: m, low: Math.min(m, expit(t.low!)), high: Math.max(m, expit(t.high!)), level };
}

/** Ranks with ties given their mean rank (1-based). */
export function ranks(xs: readonly number[]): number[] {
  const order = xs.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(xs.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    for (let k = i; k <= j; k++) out[order[k]![1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return out;
}

/** Spearman's ρ: Pearson's r of the ranks (null when either side is constant). */
export function spearman(xs: readonly number[], ys: readonly number[]): number | null {
  if (xs.length !== ys.length)
    throw new Error(`rank correlation of ${xs.length} against ${ys.length} values`);
  const rx = ranks(xs);
  const ry = ranks(ys);
  if (new Set(rx).size < 2 || new Set(ry).size < 2) return null;
  return pearson(rx, ry).r;
}

/** A paired trend test: the mean within-block rank correlation and its permutation p-value. */
export interface TrendTest {
  /** Blocks (seeds) with a defined correlation. */
  blocks: number;
  /** Mean over blocks of Spearman's ρ(dose, outcome). */
  meanRho: number;
  perBlock: number[];
  /** One-sided p: P(mean ρ under within-block permutations of the dose ≥ the observed one). */
  p: number;
  permutations: number;
}

/**
 * Within-block permutation test of a monotone trend (blocks: seeds, each a dose → outcome set).
 * The dose labels are shuffled within each block, independently, `permutations` times (Monte Carlo,
 * fixed PRNG seed; the observed arrangement counts as one draw, so p ≥ 1/(permutations + 1)).
 * Null when no block has two distinct doses and outcomes.
 */
export function withinBlockTrend(
  blocks: readonly { dose: number; outcome: number }[][],
  permutations = 9999,
  seed = 1,
): TrendTest | null {
  const used = blocks.filter(
    (b) =>
      spearman(
        b.map((x) => x.dose),
        b.map((x) => x.outcome),
      ) !== null,
  );
  if (used.length === 0) return null;
  // Spearman's ρ is Pearson's r of the ranks; permuting the doses permutes their ranks, so each
  // draw needs only Σ rank(dose)·(centred rank(outcome)) over the norms computed once.
  const prepared = used.map((b) => {
    const rx = ranks(b.map((x) => x.dose));
    const ry = ranks(b.map((x) => x.outcome));
    const mx = mean(rx);
    const my = mean(ry);
    const cy = ry.map((r) => r - my);
    const norm = Math.sqrt(rx.reduce((s, r) => s + (r - mx) ** 2, 0) * cy.reduce((s, c) => s + c * c, 0));
    return { rx, cy, norm };
  });
  const rho = (rx: readonly number[], cy: readonly number[], norm: number) =>
    rx.reduce((s, r, i) => s + r * cy[i]!, 0) / norm;
  const perBlock = prepared.map((b) => rho(b.rx, b.cy, b.norm));
  const observed = mean(perBlock);
  const rand = mulberry32(seed);
  let atLeast = 1;
  for (let i = 0; i < permutations; i++) {
    let total = 0;
    for (const b of prepared) {
      total += rho(shuffleInPlace([...b.rx], rand), b.cy, b.norm);
    }
    if (total / prepared.length >= observed - 1e-12) atLeast++;
  }
  return { blocks: used.length, meanRho: observed, perBlock, p: atLeast / (permutations + 1), permutations };
}

/** Least-squares slope of y on x with its two-sided Student-t interval (null bounds below 3 points). */
export interface Slope {
  slope: number;
  low: number | null;
  high: number | null;
  n: number;
}

export function olsSlope(xs: readonly number[], ys: readonly number[], level = 0.95): Slope {
  const n = xs.length;
  if (n !== ys.length || n < 2) throw new Error(`slope of ${n} against ${ys.length} points`);
  const mx = mean(xs);
  const my = mean(ys);
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i]! - mx) ** 2;
    sxy += (xs[i]! - mx) * (ys[i]! - my);
  }
  if (sxx === 0) throw new Error('slope over a single x value is undefined');
  const slope = sxy / sxx;
  if (n < 3) return { slope, low: null, high: null, n };
  let res = 0;
  for (let i = 0; i < n; i++) res += (ys[i]! - my - slope * (xs[i]! - mx)) ** 2;
  const se = Math.sqrt(res / (n - 2) / sxx);
  const half = studentTQuantile((1 + level) / 2, n - 2) * se;
  return { slope, low: slope - half, high: slope + half, n };
}
