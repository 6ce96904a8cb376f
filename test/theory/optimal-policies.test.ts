/**
 * Closed-form optima of the entropy- and KL-regularised objectives against hand-computed values,
 * brute-force grid search over the simplex, the Newton simplex optimiser, and the known optimal
 * values α·log Z and β·log E_ref[exp(r/β)]; Proposition 1 (entropy = KL to uniform + const).
 */
import { describe, expect, it } from 'vitest';
import {
  createPrng,
  entropyRegularizedObjective,
  evaluateCheck,
  klClosedForm,
  klRegularizedObjective,
  klRegularizedOptimalPolicy,
  lemma2ConstantTemperature,
  lemma2LengthTemperature,
  lengthTemperedGibbsPolicy,
  maxEntClosedForm,
  maxEntLogPartition,
  maxEntOptimalPolicy,
  maximizeOverSimplex,
  proposition1UniformReference,
  type SimplexObjective,
  softmax,
  unregularizedOptimalPolicy,
} from '../../src/theory/index.ts';

const maxAbs = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));

/** Best point of a regular grid on the 3-simplex with spacing 1/steps (interior points only). */
function gridArgmax(objective: SimplexObjective, steps: number): number[] {
  let best: number[] = [];
  let bestValue = Number.NEGATIVE_INFINITY;
  for (let i = 1; i < steps; i++) {
    for (let j = 1; i + j < steps; j++) {
      const p = [i / steps, j / steps, (steps - i - j) / steps];
      const v = objective.value(p);
      if (v > bestValue) [best, bestValue] = [p, v];
    }
  }
  return best;
}

describe('closed forms, hand-computed', () => {
  it('MaxEnt: r = (0, log 3) gives (1/4, 3/4) at α = 1 and (1/10, 9/10) at α = 1/2', () => {
    expect(maxAbs(maxEntOptimalPolicy([0, Math.log(3)], 1), [0.25, 0.75])).toBeLessThan(1e-15);
    expect(maxAbs(maxEntOptimalPolicy([0, Math.log(3)], 0.5), [0.1, 0.9])).toBeLessThan(1e-15);
  });

  it('KL: π_ref = (3/4, 1/4), r = (0, log 3), β = 1 gives (1/2, 1/2)', () => {
    expect(maxAbs(klRegularizedOptimalPolicy([0, Math.log(3)], [0.75, 0.25], 1), [0.5, 0.5])).toBeLessThan(
      1e-15,
    );
  });

  it('unregularised: argmax, ties split evenly', () => {
    expect(unregularizedOptimalPolicy([0.1, 2, -1])).toEqual([0, 1, 0]);
    expect(unregularizedOptimalPolicy([2, 0, 2])).toEqual([0.5, 0, 0.5]);
  });

  it('equal lengths: the length-tempered Gibbs policy is MaxEnt with α = β/L', () => {
    const rewards = [0.3, -0.2, 1.1];
    expect(
      maxAbs(lengthTemperedGibbsPolicy(rewards, [4, 4, 4], 2), maxEntOptimalPolicy(rewards, 0.5)),
    ).toBeLessThan(1e-15);
  });
});

describe('closed forms vs independent optimisation', () => {
  it('beat every point of a 1/400 grid and lie within one grid cell of its best point (3 responses)', () => {
    const rng = createPrng(3);
    for (let k = 0; k < 5; k++) {
      const rewards = [rng.normal(), rng.normal(), rng.normal()];
      const reference = softmax([rng.normal(), rng.normal(), rng.normal()]);
      const cases: [SimplexObjective, number[]][] = [
        [entropyRegularizedObjective(rewards, 0.7), maxEntOptimalPolicy(rewards, 0.7)],
        [
          klRegularizedObjective(rewards, reference, 0.7),
          klRegularizedOptimalPolicy(rewards, reference, 0.7),
        ],
      ];
      for (const [objective, closed] of cases) {
        const grid = gridArgmax(objective, 400);
        expect(objective.value(closed)).toBeGreaterThanOrEqual(objective.value(grid));
        expect(maxAbs(grid, closed)).toBeLessThan(2 / 400);
      }
    }
  });

  it('reach the optimal values α·log Σexp(r/α) and β·log Σ π_ref exp(r/β) (Gibbs variational principle)', () => {
    const rewards = [0.4, -1.3, 2.2, 0.0];
    const reference = [0.1, 0.2, 0.3, 0.4];
    const alpha = 0.6;
    const entropyValue = entropyRegularizedObjective(rewards, alpha).value(
      maxEntOptimalPolicy(rewards, alpha),
    );
    const handLogZ = Math.log(rewards.reduce((a, r) => a + Math.exp(r / alpha), 0));
    expect(entropyValue).toBeCloseTo(alpha * handLogZ, 13);
    expect(maxEntLogPartition(rewards, alpha)).toBeCloseTo(handLogZ, 14);
    const klValue = klRegularizedObjective(rewards, reference, alpha).value(
      klRegularizedOptimalPolicy(rewards, reference, alpha),
    );
    const handKlLogZ = Math.log(reference.reduce((a, q, y) => a + q * Math.exp(rewards[y]! / alpha), 0));
    expect(klValue).toBeCloseTo(alpha * handKlLogZ, 13);
  });

  it('the Newton simplex optimiser converges to an off-centre quadratic optimum it was not told', () => {
    const target = [0.05, 0.15, 0.3, 0.5];
    const objective: SimplexObjective = {
      value: (p) => -p.reduce((a, v, i) => a + (v - target[i]!) ** 2, 0),
      gradient: (p) => p.map((v, i) => -2 * (v - target[i]!)),
    };
    const optimum = maximizeOverSimplex(objective, 4);
    expect(optimum.converged).toBe(true);
    expect(maxAbs(optimum.policy, target)).toBeLessThan(1e-10);
  });

  it('temperature limits: α → 0 tends to the argmax, α → ∞ to uniform', () => {
    const rewards = [0.2, 1.0, -0.5];
    expect(maxAbs(maxEntOptimalPolicy(rewards, 1e-3), unregularizedOptimalPolicy(rewards))).toBeLessThan(
      1e-12,
    );
    expect(maxAbs(maxEntOptimalPolicy(rewards, 1e6), [1 / 3, 1 / 3, 1 / 3])).toBeLessThan(1e-6);
  });

  it('rows MaxEnt and KL: closed form = numerical optimum within 1e-6 over 20 instances', () => {
    for (const spec of [maxEntClosedForm, klClosedForm]) {
      const row = evaluateCheck(spec, { instances: 20, seed: 9 });
      expect(row.pass).toBe(true);
      expect(row.maxDeviation).toBeLessThanOrEqual(1e-6);
    }
  });
});

describe('Proposition 1 and Lemma 2 (our reconstructions)', () => {
  it('J_ent(π) = E_π[r] − α·KL(π‖uniform) + α·log n, evaluated by hand for one policy', () => {
    const rewards = [1, 0, -1];
    const policy = [0.5, 0.3, 0.2];
    const alpha = 0.4;
    const handEntropy = -(0.5 * Math.log(0.5) + 0.3 * Math.log(0.3) + 0.2 * Math.log(0.2));
    const handKlToUniform = 0.5 * Math.log(1.5) + 0.3 * Math.log(0.9) + 0.2 * Math.log(0.6);
    const expected = 0.5 - 0.2;
    expect(entropyRegularizedObjective(rewards, alpha).value(policy)).toBeCloseTo(
      expected + alpha * handEntropy,
      14,
    );
    expect(
      klRegularizedObjective(rewards, [1 / 3, 1 / 3, 1 / 3], alpha).value(policy) + alpha * Math.log(3),
    ).toBeCloseTo(expected + alpha * handEntropy, 14);
    expect(handEntropy).toBeCloseTo(Math.log(3) - handKlToUniform, 14);
  });

  it('per-token uniform reference V^(−|y|): J_ent(π) = J_KL(π; V^(−|y|), α) + α·log V·E_π[|y|] (a length bonus)', () => {
    const rng = createPrng(14);
    const vocabulary = 50;
    for (let k = 0; k < 10; k++) {
      const rewards = Array.from({ length: 4 }, () => rng.normal());
      const lengths = Array.from({ length: 4 }, () => rng.integerBetween(1, 8));
      const policy = softmax(rewards.map(() => rng.normal()));
      const perToken = lengths.map((l) => vocabulary ** -l);
      const expectedLength = policy.reduce((a, p, y) => a + p * lengths[y]!, 0);
      const viaKl =
        klRegularizedObjective(rewards, perToken, 0.7).value(policy) +
        0.7 * Math.log(vocabulary) * expectedLength;
      expect(entropyRegularizedObjective(rewards, 0.7).value(policy)).toBeCloseTo(viaKl, 12);
    }
  });

  it('row P1 and row L2-const hold exactly; with α_y = β/|y| (L2-len) the optimum leaves the class', () => {
    const options = { instances: 20, seed: 2 };
    expect(evaluateCheck(proposition1UniformReference, options).maxDeviation).toBeLessThanOrEqual(1e-12);
    expect(evaluateCheck(lemma2ConstantTemperature, options).maxDeviation).toBeLessThanOrEqual(1e-12);
    const lengthRow = evaluateCheck(lemma2LengthTemperature, options);
    expect(lengthRow.pass).toBe(true);
    // Shifting r by f(x), |f| ≥ 1, changes log π by |y|f/β − const: at least (max|y| − min|y|)/(2β) = 1/4.
    expect(lengthRow.minDeviation).toBeGreaterThan(0.2);
  });
});
