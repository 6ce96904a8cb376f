/**
 * Plackett-Luce / Bradley-Terry against brute-force enumeration and hand-computed values, and
 * Lemma 1 (equivalence classes) with its y-dependent control.
 */
import { describe, expect, it } from 'vitest';
import {
  bradleyTerryProbability,
  createPrng,
  evaluateCheck,
  lemma1BradleyTerry,
  lemma1LengthShiftControl,
  lemma1PlackettLuce,
  permutations,
  plackettLuceDistribution,
  plackettLuceProbability,
} from '../../src/theory/index.ts';

const factorial = (n: number): number => (n <= 1 ? 1 : n * factorial(n - 1));

describe('permutations', () => {
  it('enumerates n! distinct orderings of 0..n−1 for n = 1..6', () => {
    for (let n = 1; n <= 6; n++) {
      const all = permutations(n);
      expect(all).toHaveLength(factorial(n));
      expect(new Set(all.map((p) => p.join(','))).size).toBe(factorial(n));
      for (const p of all) expect([...p].sort((a, b) => a - b)).toEqual([...Array(n).keys()]);
    }
  });
});

describe('Plackett-Luce', () => {
  it('matches a hand computation: weights 1, 2, 3 and ranking (2, 1, 0) give 3/6 · 2/3 · 1 = 1/3', () => {
    const rewards = [0, Math.log(2), Math.log(3)];
    expect(plackettLuceProbability(rewards, [2, 1, 0])).toBeCloseTo(1 / 3, 14);
    expect(plackettLuceProbability(rewards, [0, 1, 2])).toBeCloseTo((1 / 6) * (2 / 5), 14);
  });

  it('is a distribution over all n! rankings, sizes 2..5', () => {
    const rng = createPrng(11);
    for (let n = 2; n <= 5; n++) {
      const rewards = Array.from({ length: n }, () => 3 * rng.normal());
      const total = plackettLuceDistribution(rewards).reduce((a, b) => a + b, 0);
      expect(Math.abs(total - 1)).toBeLessThan(1e-12);
    }
  });

  it('puts mass exp(r_i)/Σ exp(r) on rankings that start with item i (marginal by enumeration)', () => {
    const rewards = [0.3, -1.2, 2.0, 0.5];
    const distribution = plackettLuceDistribution(rewards);
    const all = permutations(rewards.length);
    const denominator = rewards.reduce((a, r) => a + Math.exp(r), 0);
    rewards.forEach((r, i) => {
      const first = all.reduce((acc, tau, k) => acc + (tau[0] === i ? distribution[k]! : 0), 0);
      expect(first).toBeCloseTo(Math.exp(r) / denominator, 13);
    });
  });

  it('reduces to Bradley-Terry e^a/(e^a + e^b) with two items', () => {
    for (const [a, b] of [
      [0.2, -0.7],
      [3, 1],
      [-2, 5],
    ] as const) {
      const handBT = Math.exp(a) / (Math.exp(a) + Math.exp(b));
      expect(plackettLuceProbability([a, b], [0, 1])).toBeCloseTo(handBT, 14);
      expect(bradleyTerryProbability(a, b)).toBeCloseTo(handBT, 14);
    }
  });

  it('Bradley-Terry stays finite and complementary for huge reward gaps', () => {
    expect(bradleyTerryProbability(800, 0)).toBe(1);
    expect(bradleyTerryProbability(0, 800)).toBeGreaterThanOrEqual(0);
    expect(bradleyTerryProbability(1.5, -0.5) + bradleyTerryProbability(-0.5, 1.5)).toBeCloseTo(1, 15);
  });
});

describe('Lemma 1: equivalence classes', () => {
  it('r + f(x) leaves every PL ranking probability unchanged; r + c·y does not', () => {
    const rewards = [0.1, 1.4, -0.6, 0.9, -2];
    const sameClass = rewards.map((r) => r + 7.5);
    const otherClass = rewards.map((r, y) => r + 0.8 * y);
    const base = plackettLuceDistribution(rewards);
    const worst = (q: number[]) => Math.max(...base.map((p, k) => Math.abs(p - q[k]!)));
    expect(worst(plackettLuceDistribution(sameClass))).toBeLessThan(1e-14);
    expect(worst(plackettLuceDistribution(otherClass))).toBeGreaterThan(1e-2);
  });

  it('rows L1-BT and L1-PL hold to 1e-12 over 30 instances; the c(x)·β/|y| control deviates', () => {
    const options = { instances: 30, seed: 5 };
    const bt = evaluateCheck(lemma1BradleyTerry, options);
    const pl = evaluateCheck(lemma1PlackettLuce, options);
    const control = evaluateCheck(lemma1LengthShiftControl, options);
    expect(bt.pass && bt.maxDeviation <= 1e-12).toBe(true);
    expect(pl.pass && pl.maxDeviation <= 1e-12).toBe(true);
    expect(control.pass).toBe(true);
    expect(control.minDeviation).toBeGreaterThan(1e-2);
  });
});
