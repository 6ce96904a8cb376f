import { describe, expect, it } from 'vitest';
import { splitTrainEval } from '../../src/data/index.ts';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('splitTrainEval', () => {
  it('is deterministic for a seed', () => {
    expect(splitTrainEval(range(50), 0.2, 7)).toEqual(splitTrainEval(range(50), 0.2, 7));
  });

  it('gives disjoint parts that together hold every item once', () => {
    const { train, eval: evalPart } = splitTrainEval(range(100), 0.2, 3);
    expect(evalPart).toHaveLength(20);
    expect(train).toHaveLength(80);
    expect(train.filter((x) => evalPart.includes(x))).toEqual([]);
    expect([...train, ...evalPart].sort((a, b) => a - b)).toEqual(range(100));
  });

  it('splits by position, so duplicate items are not merged', () => {
    const { train, eval: evalPart } = splitTrainEval(['a', 'a', 'a', 'b'], 0.5, 1);
    expect(train.length + evalPart.length).toBe(4);
    expect(evalPart).toHaveLength(2);
  });

  it('keeps the original order within each part', () => {
    const { train, eval: evalPart } = splitTrainEval(range(40), 0.25, 11);
    expect(train).toEqual([...train].sort((a, b) => a - b));
    expect(evalPart).toEqual([...evalPart].sort((a, b) => a - b));
  });

  it('different seeds give different eval sets', () => {
    const evalSets = new Set(
      [1, 2, 3, 4, 5].map((seed) => splitTrainEval(range(100), 0.1, seed).eval.join(',')),
    );
    expect(evalSets.size).toBe(5);
  });

  it('picks every item for eval about evalFraction of the time over seeds', () => {
    const seeds = 3000;
    const hits = new Array<number>(10).fill(0);
    for (let seed = 0; seed < seeds; seed++) {
      for (const i of splitTrainEval(range(10), 0.3, seed).eval) hits[i]! += 1;
    }
    // Binomial(3000, 0.3): standard deviation 25 hits, so +-5 sd is 125.
    for (const h of hits) expect(Math.abs(h - 0.3 * seeds)).toBeLessThan(125);
  });

  it('handles the edge fractions and validates its arguments', () => {
    expect(splitTrainEval(range(5), 0, 1)).toEqual({ train: range(5), eval: [] });
    expect(splitTrainEval(range(5), 1, 1)).toEqual({ train: [], eval: range(5) });
    expect(splitTrainEval([], 0.5, 1)).toEqual({ train: [], eval: [] });
    expect(() => splitTrainEval(range(5), 1.5, 1)).toThrow('evalFraction must be in [0, 1], got 1.5');
    expect(() => splitTrainEval(range(5), Number.NaN, 1)).toThrow('evalFraction must be in [0, 1], got NaN');
    expect(() => splitTrainEval(range(5), 0.2, 0.5)).toThrow('seed must be an integer, got 0.5');
  });
});
