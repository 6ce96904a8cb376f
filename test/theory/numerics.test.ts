/**
 * The generic numerical building blocks, on problems whose answers are known independently:
 * PRNG determinism and ranges, random-problem invariants, the linear solver, L-BFGS.
 */
import { describe, expect, it } from 'vitest';
import {
  createPrng,
  logSigmoid,
  logSumExp,
  minimizeLbfgs,
  randomTabularProblem,
  shiftRewards,
  sigmoid,
  solveLinearSystem,
} from '../../src/theory/index.ts';

describe('createPrng', () => {
  it('is deterministic per seed and stays in range', () => {
    const a = createPrng(42);
    const b = createPrng(42);
    const xs = Array.from({ length: 1000 }, () => a.uniform());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b.uniform()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const ints = Array.from({ length: 1000 }, () => a.integerBetween(2, 5));
    expect(new Set(ints)).toEqual(new Set([2, 3, 4, 5]));
    const normals = Array.from({ length: 20000 }, () => a.normal());
    const mean = normals.reduce((s, v) => s + v, 0) / normals.length;
    const variance = normals.reduce((s, v) => s + (v - mean) ** 2, 0) / normals.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
  });
});

describe('randomTabularProblem', () => {
  it('draws equal lengths within a prompt, or at least two distinct ones, and valid references', () => {
    const rng = createPrng(1);
    for (let k = 0; k < 50; k++) {
      const equal = randomTabularProblem(rng, { lengths: 'equal' });
      const unequal = randomTabularProblem(rng, { lengths: 'unequal' });
      for (const p of equal.prompts) expect(new Set(p.lengths).size).toBe(1);
      for (const p of unequal.prompts) {
        expect(new Set(p.lengths).size).toBeGreaterThan(1);
        expect(p.rewards.length).toBeGreaterThanOrEqual(2);
        expect(p.rewards.length).toBeLessThanOrEqual(5);
        expect(Math.abs(p.reference.reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-14);
      }
    }
  });

  it('shiftRewards adds f(x, y) and leaves the rest untouched', () => {
    const problem = randomTabularProblem(createPrng(2));
    const shifted = shiftRewards(problem, (x, y) => 10 * x + y);
    shifted.prompts.forEach((p, x) => {
      expect(p.lengths).toEqual(problem.prompts[x]!.lengths);
      p.rewards.forEach((r, y) => {
        expect(r).toBeCloseTo(problem.prompts[x]!.rewards[y]! + 10 * x + y, 13);
      });
    });
  });
});

describe('stable scalar functions', () => {
  it('logSumExp, sigmoid and logSigmoid do not overflow', () => {
    expect(logSumExp([1000, 1000])).toBeCloseTo(1000 + Math.log(2), 12);
    expect(logSumExp([-1000, -1000])).toBeCloseTo(-1000 + Math.log(2), 12);
    expect(sigmoid(-800)).toBeGreaterThanOrEqual(0);
    expect(sigmoid(0)).toBe(0.5);
    expect(logSigmoid(-800)).toBeCloseTo(-800, 10);
    expect(logSigmoid(2)).toBeCloseTo(Math.log(1 / (1 + Math.exp(-2))), 15);
  });
});

describe('solveLinearSystem', () => {
  it('solves a system built from a known solution, needing a pivot', () => {
    const a = [
      [0, 2, 1],
      [1, -1, 3],
      [4, 0.5, -2],
    ];
    const x = [1.5, -2, 0.25];
    const b = a.map((row) => row.reduce((s, v, j) => s + v * x[j]!, 0));
    const solved = solveLinearSystem(a, b)!;
    solved.forEach((v, i) => {
      expect(v).toBeCloseTo(x[i]!, 13);
    });
    expect(
      solveLinearSystem(
        [
          [1, 2],
          [2, 4],
        ],
        [1, 2],
      ),
    ).toBeUndefined();
  });
});

describe('minimizeLbfgs', () => {
  it('finds the minimiser A⁻¹b of ½xᵀAx − bᵀx (ill-conditioned diagonal A)', () => {
    const diagonal = [1, 10, 100, 1000];
    const b = [1, -2, 3, -4];
    const result = minimizeLbfgs(
      (x) => ({
        value: x.reduce((s, v, i) => s + 0.5 * diagonal[i]! * v * v - b[i]! * v, 0),
        gradient: x.map((v, i) => diagonal[i]! * v - b[i]!),
      }),
      [0, 0, 0, 0],
    );
    expect(result.converged).toBe(true);
    result.x.forEach((v, i) => {
      expect(v).toBeCloseTo(b[i]! / diagonal[i]!, 10);
    });
  });

  it('finds the Rosenbrock minimum (1, 1) from (−1.2, 1)', () => {
    const result = minimizeLbfgs(
      ([x, y]) => ({
        value: (1 - x!) ** 2 + 100 * (y! - x! ** 2) ** 2,
        gradient: [-2 * (1 - x!) - 400 * x! * (y! - x! ** 2), 200 * (y! - x! ** 2)],
      }),
      [-1.2, 1],
    );
    expect(result.converged).toBe(true);
    expect(result.x[0]).toBeCloseTo(1, 8);
    expect(result.x[1]).toBeCloseTo(1, 8);
  });
});
