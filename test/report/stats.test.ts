/**
 * The multi-seed statistics against independent references: textbook Student-t quantiles,
 * intervals and a correlation computed by hand (values checked with scipy 1.10 / numpy), and the
 * over-optimisation fits of Gao et al. against exact curves and numpy.linalg.lstsq.
 */
import { describe, expect, it } from 'vitest';
import { fitGao, gaoCurve } from '../../src/report/overoptimisation-fit.ts';
import {
  leastSquares2,
  logitTInterval,
  normalQuantile,
  olsSlope,
  pearson,
  ranks,
  spearman,
  studentTCdf,
  studentTQuantile,
  tInterval,
  withinBlockTrend,
} from '../../src/report/stats.ts';

describe('Student t', () => {
  it('matches the textbook 97.5 % quantiles', () => {
    // Table values t_{0.975, df}.
    const table: [number, number][] = [
      [1, 12.7062047],
      [2, 4.30265273],
      [3, 3.18244631],
      [4, 2.77644511],
      [9, 2.26215716],
      [29, 2.04522964],
    ];
    for (const [df, t] of table) expect(studentTQuantile(0.975, df)).toBeCloseTo(t, 6);
    expect(studentTQuantile(0.025, 4)).toBeCloseTo(-2.77644511, 6);
  });
  it('has the closed-form CDF at df = 1 (Cauchy), 2 and 3', () => {
    for (const t of [-3, -0.4, 0, 0.7, 5]) {
      expect(studentTCdf(t, 1)).toBeCloseTo(0.5 + Math.atan(t) / Math.PI, 12);
      expect(studentTCdf(t, 2)).toBeCloseTo(0.5 + t / (2 * Math.sqrt(2 + t * t)), 12);
      // df = 3: 1/2 + (1/π)·(atan(t/√3) + √3·t/(3 + t²)).
      expect(studentTCdf(t, 3)).toBeCloseTo(
        0.5 + (Math.atan(t / Math.sqrt(3)) + (Math.sqrt(3) * t) / (3 + t * t)) / Math.PI,
        12,
      );
    }
    expect(() => studentTCdf(1, 2.5)).toThrow(/integer/);
  });
  it('normal quantile', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963985, 8);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 12);
  });
});

describe('tInterval', () => {
  it('is mean ± t·s/√n, computed by hand', () => {
    // xs = 0.31, 0.52, 0.47: mean 0.4333…, s = 0.109697, t_{0.975,2} = 4.302653.
    const iv = tInterval([0.31, 0.52, 0.47]);
    expect(iv.mean).toBeCloseTo(0.433333333, 9);
    expect(iv.low).toBeCloseTo(0.160832, 5);
    expect(iv.high).toBeCloseTo(0.705835, 5);
  });
  it('has no bounds for one value', () => {
    expect(tInterval([0.4])).toEqual({ n: 1, mean: 0.4, low: null, high: null, level: 0.95 });
  });
});

describe('pearson', () => {
  it('matches numpy.corrcoef and the Fisher-z interval', () => {
    const a = [0, 0.02, 0.05, 0, 0.02, 0.05, 0, 0.02, 0.05];
    const b = [0.01, 0.2, 0.3, 0.0, 0.15, 0.35, 0.05, 0.1, 0.25];
    const c = pearson(a, b);
    expect(c.r).toBeCloseTo(0.95226846, 7);
    expect(c.low).toBeCloseTo(0.78390675, 6);
    expect(c.high).toBeCloseTo(0.99017902, 6);
  });
  it('is ±1 on exact lines and refuses constant series', () => {
    expect(pearson([1, 2, 3], [5, 3, 1]).r).toBeCloseTo(-1, 12);
    expect(() => pearson([1, 1, 1], [1, 2, 3])).toThrow(/constant/);
  });
});

describe('least squares and the Gao et al. forms', () => {
  it('solves the 2×2 normal equations (hand: y = 2f − 3g exactly)', () => {
    const f = [1, 2, 3, 4];
    const g = [1, 0, 2, 1];
    const fit = leastSquares2(
      f,
      g,
      f.map((x, i) => 2 * x - 3 * g[i]!),
    );
    expect(fit.a).toBeCloseTo(2, 12);
    expect(fit.b).toBeCloseTo(-3, 12);
    expect(fit.r2).toBeCloseTo(1, 12);
    expect(() => leastSquares2([1, 2], [2, 4], [1, 1])).toThrow(/collinear/);
  });
  it('recovers exact RL and best-of-n curves', () => {
    const ds = [0, 0.3, 0.8, 1.2, 2, 2.7];
    for (const form of ['rl', 'bon'] as const) {
      const truth = { form, alpha: 0.7, beta: 0.25 };
      const fit = fitGao(
        form,
        ds.map((d) => ({ d, r: gaoCurve(truth, d) })),
      );
      expect(fit.alpha).toBeCloseTo(0.7, 10);
      expect(fit.beta).toBeCloseTo(0.25, 10);
      expect(fit.r2).toBeCloseTo(1, 10);
    }
    // d·(α − β·log d) at d = e: e·(α − β).
    expect(gaoCurve({ form: 'rl', alpha: 1, beta: 0.25 }, Math.E)).toBeCloseTo(Math.E * 0.75, 12);
    expect(gaoCurve({ form: 'bon', alpha: 1, beta: 0.25 }, 2)).toBeCloseTo(1, 12);
  });
  it('matches numpy.linalg.lstsq on noisy points', () => {
    const d = [0.5, 1.0, 1.5, 2.0, 3.0];
    const r = [0.3, 0.45, 0.5, 0.42, 0.2];
    const pts = d.map((x, i) => ({ d: x, r: r[i]! }));
    const rl = fitGao('rl', pts);
    expect(rl.alpha).toBeCloseTo(0.44871431297189524, 10);
    expect(rl.beta).toBeCloseTo(0.3443352955570103, 10);
    expect(rl.r2).toBeCloseTo(0.9435585170541493, 10);
    const bon = fitGao('bon', pts);
    expect(bon.alpha).toBeCloseTo(0.6020964175143747, 10);
    expect(bon.beta).toBeCloseTo(0.18087571870853614, 10);
    expect(bon.r2).toBeCloseTo(0.8833428745012436, 10);
  });
});

describe('rank statistics and the within-seed trend test', () => {
  it('ranks ties at their mean rank and gives Spearman ρ = 1 − 6Σd²/(n(n²−1)) without ties', () => {
    expect(ranks([3, 1, 2, 2])).toEqual([4, 1, 2.5, 2.5]);
    // Ranks 1 2 4 3 against 1 2 3 4: Σd² = 2, ρ = 1 − 12/60 = 0.8.
    expect(spearman([1, 2, 3, 4], [10, 20, 40, 30])).toBeCloseTo(0.8, 12);
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNull();
  });

  it('p is the share of within-block dose shuffles reaching the observed mean ρ', () => {
    // One block of 3 increasing doses and outcomes: 1 of the 3! arrangements reaches ρ = 1.
    const one = withinBlockTrend([
      [
        { dose: 0, outcome: 1 },
        { dose: 1, outcome: 2 },
        { dose: 2, outcome: 3 },
      ],
    ])!;
    expect(one.meanRho).toBe(1);
    expect(one.p).toBeGreaterThan(1 / 6 - 0.015);
    expect(one.p).toBeLessThan(1 / 6 + 0.015);
    // Two such blocks: 1/36.
    const two = withinBlockTrend([0, 1].map(() => [0, 1, 2].map((d) => ({ dose: d, outcome: d * d }))))!;
    expect(two.p).toBeGreaterThan(1 / 36 - 0.006);
    expect(two.p).toBeLessThan(1 / 36 + 0.006);
    expect(withinBlockTrend([[{ dose: 1, outcome: 2 }]])).toBeNull();
  });

  it('OLS slope with its t-interval, by hand', () => {
    // x 0..3, y 1 3 2 5: slope 5.5/5 = 1.1, residual SS 2.7, se √(2.7/2/5), t_{0.975,2} = 4.302653.
    const s = olsSlope([0, 1, 2, 3], [1, 3, 2, 5]);
    expect(s.slope).toBeCloseTo(1.1, 12);
    expect(s.high! - 1.1).toBeCloseTo(4.302652729911275 * Math.sqrt(0.27), 9);
    expect(s.low! - 1.1).toBeCloseTo(-4.302652729911275 * Math.sqrt(0.27), 9);
  });

  it('logit-t intervals stay inside (0, 1)', () => {
    const i = logitTInterval([0.99, 0.6, 0.95]);
    expect(i.mean).toBeCloseTo((0.99 + 0.6 + 0.95) / 3, 12);
    expect(i.low!).toBeGreaterThan(0);
    expect(i.high!).toBeLessThan(1);
    expect(tInterval([0.99, 0.6, 0.95]).high!).toBeGreaterThan(1);
    // Every seed at 0: the clamped logits have no spread, and the interval still contains the mean 0.
    const zero = logitTInterval([0, 0]);
    expect(zero.mean).toBe(0);
    expect(zero.low).toBe(0);
    expect(zero.high!).toBeGreaterThanOrEqual(0);
  });
});
