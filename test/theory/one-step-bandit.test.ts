/**
 * One-step bandit baselines: exact optima against random policies and the Newton optimiser, KL and
 * entropy helpers against hand values, and the exact expectations of the k1/k2/k3 KL estimators.
 */
import { describe, expect, it } from 'vitest';
import {
  createPrng,
  entropy,
  entropyRegularizedObjective,
  klDivergence,
  klEstimatorExpectations,
  klEstimatorSample,
  klRegularizedObjective,
  maximizeOverSimplex,
  oneStepBandit,
  softmax,
} from '../../src/theory/index.ts';

const maxAbs = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));

describe('oneStepBandit', () => {
  it('is reproducible from its seed and valid', () => {
    const a = oneStepBandit({ nResponses: 6, seed: 3 });
    const b = oneStepBandit({ nResponses: 6, seed: 3 });
    expect(a.rewards).toEqual(b.rewards);
    expect(a.referencePolicy).toEqual(b.referencePolicy);
    expect(a.rewards).toHaveLength(6);
    expect(a.referencePolicy.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 14);
    expect(oneStepBandit({ nResponses: 6, seed: 4 }).rewards).not.toEqual(a.rewards);
    expect(() => oneStepBandit({ nResponses: 1, seed: 0 })).toThrow(/nResponses/);
  });

  it('its KL and entropy optima beat 200 random policies and equal the Newton optimum', () => {
    const bandit = oneStepBandit({ nResponses: 5, seed: 10 });
    const rng = createPrng(1);
    const [beta, alpha] = [0.3, 0.8];
    const klStar = bandit.klOptimalPolicy(beta);
    const entStar = bandit.entropyOptimalPolicy(alpha);
    for (let k = 0; k < 200; k++) {
      const pi = softmax(bandit.rewards.map(() => 2 * rng.normal()));
      expect(bandit.klObjective(klStar, beta)).toBeGreaterThanOrEqual(bandit.klObjective(pi, beta));
      expect(bandit.entropyObjective(entStar, alpha)).toBeGreaterThanOrEqual(
        bandit.entropyObjective(pi, alpha),
      );
    }
    const numericKl = maximizeOverSimplex(
      klRegularizedObjective(bandit.rewards, bandit.referencePolicy, beta),
      5,
    );
    const numericEnt = maximizeOverSimplex(entropyRegularizedObjective(bandit.rewards, alpha), 5);
    expect(maxAbs(numericKl.policy, klStar)).toBeLessThan(1e-8);
    expect(maxAbs(numericEnt.policy, entStar)).toBeLessThan(1e-8);
  });

  it('the unregularised optimum is the argmax with E[r] = max r, the limit of both as β, α → 0', () => {
    const bandit = oneStepBandit({ nResponses: 7, seed: 21 });
    const greedy = bandit.unregularizedOptimalPolicy();
    const best = Math.max(...bandit.rewards);
    expect(greedy[bandit.rewards.indexOf(best)]).toBe(1);
    expect(bandit.expectedReward(greedy)).toBe(best);
    expect(maxAbs(bandit.klOptimalPolicy(1e-4), greedy)).toBeLessThan(1e-6);
    expect(maxAbs(bandit.entropyOptimalPolicy(1e-4), greedy)).toBeLessThan(1e-6);
    // Large β pins the KL optimum to π_ref; large α sends the entropy optimum to uniform.
    expect(maxAbs(bandit.klOptimalPolicy(1e6), bandit.referencePolicy)).toBeLessThan(1e-5);
    expect(maxAbs(bandit.entropyOptimalPolicy(1e6), new Array(7).fill(1 / 7))).toBeLessThan(1e-5);
  });
});

describe('entropy and KL helpers', () => {
  it('match hand values', () => {
    expect(entropy([0.25, 0.25, 0.25, 0.25])).toBeCloseTo(Math.log(4), 15);
    expect(entropy([1, 0, 0])).toBe(0);
    expect(klDivergence([0.5, 0.5], [0.25, 0.75])).toBeCloseTo(0.5 * Math.log(2) + 0.5 * Math.log(2 / 3), 15);
    expect(klDivergence([0.3, 0.7], [0.3, 0.7])).toBe(0);
    expect(klDivergence([0.5, 0.5], [1, 0])).toBe(Number.POSITIVE_INFINITY);
    expect(klDivergence([1, 0], [0.5, 0.5])).toBeCloseTo(Math.log(2), 15);
  });
});

describe('KL estimators under y ∼ p (exact, by enumeration)', () => {
  it('hand example p = (½, ½), q = (¼, ¾): E[k1] = E[k3] = KL, E[k2] = ¼(log²2 + log²(2/3))', () => {
    const e = klEstimatorExpectations([0.5, 0.5], [0.25, 0.75]);
    const handKl = 0.5 * Math.log(2) + 0.5 * Math.log(2 / 3);
    expect(e.kl).toBeCloseTo(handKl, 15);
    expect(e.k1).toBeCloseTo(handKl, 15);
    expect(e.k3).toBeCloseTo(handKl, 15);
    expect(e.k2).toBeCloseTo(0.25 * (Math.log(2) ** 2 + Math.log(2 / 3) ** 2), 15);
    expect(e.k2 - e.kl).toBeGreaterThan(1e-3);
  });

  it('k1 and k3 are unbiased on random pairs; k3 is pointwise ≥ 0 while k1 can be negative', () => {
    const rng = createPrng(31);
    let sawNegativeK1 = false;
    for (let k = 0; k < 50; k++) {
      const n = rng.integerBetween(2, 8);
      const p = softmax(Array.from({ length: n }, () => 1.5 * rng.normal()));
      const q = softmax(Array.from({ length: n }, () => 1.5 * rng.normal()));
      const e = klEstimatorExpectations(p, q);
      expect(Math.abs(e.k1 - e.kl)).toBeLessThan(1e-13);
      expect(Math.abs(e.k3 - e.kl)).toBeLessThan(1e-13);
      p.forEach((py, y) => {
        const logRatio = Math.log(py / q[y]!);
        expect(klEstimatorSample(logRatio, 'k3')).toBeGreaterThanOrEqual(0);
        if (klEstimatorSample(logRatio, 'k1') < 0) sawNegativeK1 = true;
      });
    }
    expect(sawNegativeK1).toBe(true);
  });

  it("k2's bias is third order: (E[k2] − KL)/KL → 0 as q → p, and is not 0 away from p", () => {
    const p = [0.1, 0.2, 0.3, 0.4];
    const direction = [0.3, -0.5, 0.4, -0.2];
    const relativeBias = (eps: number) => {
      const q = softmax(p.map((v, y) => Math.log(v) + eps * direction[y]!));
      const e = klEstimatorExpectations(p, q);
      return Math.abs(e.k2 - e.kl) / e.kl;
    };
    expect(relativeBias(1e-3)).toBeLessThan(1e-2);
    expect(relativeBias(1e-2)).toBeLessThan(relativeBias(1e-1));
    expect(relativeBias(1)).toBeGreaterThan(1e-2);
  });
});
