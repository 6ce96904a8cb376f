/** RL losses and estimators (and the exact token entropy they use) against hand-computed float64 values. */
import { describe, expect, it } from 'vitest';
import {
  bradleyTerryLoss,
  gae,
  klEstimate,
  maskedWhiten,
  ppoPolicyLoss,
  ppoValueLoss,
  rlooAdvantages,
} from '../../src/losses/index.ts';
import { tokenEntropy } from '../../src/models/token-distribution.ts';
import { tensor } from '../../src/tensor/index.ts';

const t64 = (x: number[] | number[][]) => tensor(x, { dtype: 'float64' });

describe('KL estimators', () => {
  it('k1, k2, k3 follow their definitions', () => {
    const lr = [0.5, -0.2, 0];
    const k1 = klEstimate(t64(lr), 'k1').toArray();
    const k2 = klEstimate(t64(lr), 'k2').toArray();
    const k3 = klEstimate(t64(lr), 'k3').toArray();
    lr.forEach((x, i) => {
      expect(k1[i]).toBeCloseTo(x, 14);
      expect(k2[i]).toBeCloseTo(0.5 * x * x, 14);
      expect(k3[i]).toBeCloseTo(Math.exp(-x) - 1 + x, 14);
    });
  });

  it('k1 and k3 are unbiased for KL(p‖q) by exact enumeration, k2 is not', () => {
    const p = [0.5, 0.3, 0.2];
    const q = [0.2, 0.5, 0.3];
    const kl = p.reduce((s, pi, i) => s + pi * Math.log(pi / q[i]!), 0);
    const logRatio = t64(p.map((pi, i) => Math.log(pi / q[i]!)));
    const expectation = (name: 'k1' | 'k2' | 'k3') =>
      klEstimate(logRatio, name)
        .toArray()
        .reduce((s, v, i) => s + v * p[i]!, 0);
    expect(expectation('k1')).toBeCloseTo(kl, 12);
    expect(expectation('k3')).toBeCloseTo(kl, 12);
    expect(Math.abs(expectation('k2') - kl)).toBeGreaterThan(1e-3);
  });
});

describe('entropy, advantages, surrogates', () => {
  it('exact entropy of logits matches −Σ p log p', () => {
    const logits = [1, 2, 0.5];
    const z = logits.map(Math.exp).reduce((a, b) => a + b);
    const H = -logits.map((l) => Math.exp(l) / z).reduce((s, p) => s + p * Math.log(p), 0);
    expect(tokenEntropy(t64([logits])).toArray()[0]).toBeCloseTo(H, 12);
  });

  it('GAE recursion by hand (γ=0.9, λ=0.8) with a padded last token', () => {
    const r = [1, 0, 2];
    const v = [0.5, 0.4, 99];
    const mask = [1, 1, 0];
    const { advantages, returns } = gae(t64([r]), t64([v]), t64([mask]), 0.9, 0.8);
    const d1 = 0 + 0.9 * 0 - 0.4;
    const a1 = d1;
    const d0 = 1 + 0.9 * 0.4 - 0.5;
    const a0 = d0 + 0.9 * 0.8 * a1;
    const got = advantages.toArray();
    expect(got[0]).toBeCloseTo(a0, 12);
    expect(got[1]).toBeCloseTo(a1, 12);
    expect(got[2]).toBe(0);
    expect(returns.toArray()[0]).toBeCloseTo(a0 + 0.5, 12);
  });

  it('RLOO baseline is the mean of the other samples of the same prompt', () => {
    const adv = rlooAdvantages(t64([1, 2, 6, 0, 0, 3]), 3).toArray();
    expect(adv[0]).toBeCloseTo(1 - (2 + 6) / 2, 12);
    expect(adv[2]).toBeCloseTo(6 - 1.5, 12);
    expect(adv[5]).toBeCloseTo(3 - 0, 12);
    expect(() => rlooAdvantages(t64([1, 2]), 1)).toThrow(/k >= 2/);
  });

  it('masked whitening gives zero mean and unit (Bessel) variance over valid positions', () => {
    const w = maskedWhiten(t64([[1, 2, 3, 100]]), t64([[1, 1, 1, 0]])).toArray();
    expect(w[0]! + w[1]! + w[2]!).toBeCloseTo(0, 8);
    expect((w[0]! ** 2 + w[1]! ** 2 + w[2]! ** 2) / 2).toBeCloseTo(1, 6);
    expect(w[3]).toBe(0);
  });

  it('PPO clipped surrogate by hand', () => {
    const lp = [Math.log(1.5), Math.log(0.5)];
    const out = ppoPolicyLoss(t64([lp]), t64([[0, 0]]), t64([[1, -1]]), t64([[1, 1]]), 0.2);
    // token 0: A=1, ρ=1.5 → max(−1.5, −1.2) = −1.2 (clipped); token 1: A=−1, ρ=0.5 → max(0.5, 0.8) = 0.8 (clipped)
    expect(out.loss.item()).toBeCloseTo((-1.2 + 0.8) / 2, 12);
    expect(out.clipfrac.item()).toBeCloseTo(1, 12);
    expect(out.approxKl.item()).toBeCloseTo((0.5 * (lp[0]! ** 2 + lp[1]! ** 2)) / 2, 12);
  });

  it('PPO clipped value loss by hand', () => {
    const out = ppoValueLoss(t64([[2.0]]), t64([[1.0]]), t64([[3.0]]), t64([[1]]), 0.5);
    // unclipped (2−3)² = 1; clipped V = 1.5 → (1.5−3)² = 2.25; ½·max = 1.125
    expect(out.loss.item()).toBeCloseTo(1.125, 12);
  });

  it('Bradley-Terry loss with centering and accuracy', () => {
    const out = bradleyTerryLoss(t64([2, -1]), t64([1, 0]), 0.01);
    const bt = (-Math.log(1 / (1 + Math.exp(-1))) - Math.log(1 / (1 + Math.exp(1)))) / 2;
    const center = 0.01 * ((3 ** 2 + 1 ** 2) / 2);
    expect(out.loss.item()).toBeCloseTo(bt + center, 12);
    expect(out.accuracy.item()).toBeCloseTo(0.5, 12);
  });
});
