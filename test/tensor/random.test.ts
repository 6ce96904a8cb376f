/**
 * Seeded randomness: reproducibility of every sampler with a Generator, generator state
 * save/restore, and the samplers' distributions within binomial / normal tolerances.
 */
import { describe, expect, it } from 'vitest';
import {
  dropout,
  Generator,
  manualSeed,
  multinomial,
  ones,
  rand,
  randint,
  randn,
  randperm,
  tensor,
  tidy,
} from '../../src/tensor/index.ts';

const t = (fn: () => void) => () => tidy(fn);

/** One draw of every sampler from generator g, as plain arrays. */
function drawAll(g: Generator): number[][] {
  return tidy(() => [
    randn([5], g).toArray(),
    rand([5], g).toArray(),
    randint(0, 100, [5], g).toArray(),
    randperm(8, g).toArray(),
    multinomial(tensor([0.2, 0.3, 0.5]), 6, { replacement: true, gen: g }).toArray(),
    dropout(ones([8]), 0.5, g).toArray(),
  ]);
}

describe('reproducibility', () => {
  it('the same seed gives the same draws; a different seed different ones', () => {
    const a = drawAll(new Generator(42));
    const b = drawAll(new Generator(42));
    const c = drawAll(new Generator(43));
    expect(a).toEqual(b);
    expect(a[0]).not.toEqual(c[0]);
    expect(a[1]).not.toEqual(c[1]);
    expect(a[2]).not.toEqual(c[2]);
  });

  it('consecutive draws from one generator differ (the state advances)', () => {
    const g = new Generator(7);
    expect(drawAll(g)[0]).not.toEqual(drawAll(g)[0]);
  });

  it('getState / setState restore the stream exactly, also into another generator', () => {
    const g = new Generator(123);
    drawAll(g);
    const state = g.getState();
    expect(state).toBeInstanceOf(Uint8Array);
    expect(state.length).toBeGreaterThan(0);
    const next = drawAll(g);
    g.setState(state);
    expect(drawAll(g)).toEqual(next);
    const other = new Generator(999);
    other.setState(state);
    expect(drawAll(other)).toEqual(next);
  });

  it('a generator is independent of the global seed and of other generators', () => {
    const ref = drawAll(new Generator(5));
    const g = new Generator(5);
    const h = new Generator(6);
    manualSeed(1);
    tidy(() => {
      randn([100]);
    });
    drawAll(h);
    expect(drawAll(g)).toEqual(ref);
  });

  it(
    'manualSeed makes the global stream reproducible',
    t(() => {
      manualSeed(2024);
      const a = randn([4]).toArray();
      const b = randint(0, 10, [4]).toArray();
      manualSeed(2024);
      expect(randn([4]).toArray()).toEqual(a);
      expect(randint(0, 10, [4]).toArray()).toEqual(b);
    }),
  );

  it('rejects invalid seeds', () => {
    expect(() => new Generator(-1)).toThrow(/seed/);
    expect(() => new Generator(1.5)).toThrow(/seed/);
  });
});

describe('distributions', () => {
  it(
    'randn: mean ≈ 0 and variance ≈ 1 (n = 20000), requested dtype',
    t(() => {
      const n = 20000;
      const x = randn([n], new Generator(1), { dtype: 'float64' });
      expect(x.dtype).toBe('float64');
      const v = x.toArray();
      const mean = v.reduce((a, b) => a + b, 0) / n;
      const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
      // sd of the mean 1/√n ≈ 0.0071; sd of the variance √(2/n) ≈ 0.01: allow 5 sd.
      expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(n));
      expect(Math.abs(variance - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
      expect(randn([2, 3], new Generator(1), { requiresGrad: true }).requiresGrad).toBe(true);
    }),
  );

  it(
    'rand: uniform on [0, 1) with mean ≈ 1/2',
    t(() => {
      const n = 20000;
      const v = rand([n], new Generator(2)).toArray();
      expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...v)).toBeLessThan(1);
      const mean = v.reduce((a, b) => a + b, 0) / n;
      expect(Math.abs(mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
      const below = v.filter((x) => x < 0.25).length;
      expect(Math.abs(below - n / 4)).toBeLessThan(5 * Math.sqrt(n * 0.25 * 0.75));
    }),
  );

  it(
    'randint: integers in [low, high), every value hit about equally often',
    t(() => {
      const n = 12000;
      const x = randint(-3, 3, [n], new Generator(3));
      expect(x.dtype).toBe('int64');
      const v = x.toArray();
      const counts = new Map<number, number>();
      for (const k of v) counts.set(k, (counts.get(k) ?? 0) + 1);
      expect([...counts.keys()].sort((a, b) => a - b)).toEqual([-3, -2, -1, 0, 1, 2]);
      for (const c of counts.values()) expect(Math.abs(c - n / 6)).toBeLessThan(5 * Math.sqrt((n * 5) / 36));
    }),
  );

  it(
    'randperm: a permutation of 0..n−1',
    t(() => {
      const p = randperm(50, new Generator(4));
      expect(p.dtype).toBe('int64');
      const v = p.toArray();
      expect([...v].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
      expect(v).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
    }),
  );

  it(
    'multinomial with replacement: frequencies within binomial tolerance, per row',
    t(() => {
      const n = 20000;
      // Unnormalised weights: rows ∝ [1, 2, 7] and [5, 0, 5].
      const probs = tensor([
        [1, 2, 7],
        [5, 0, 5],
      ]);
      const draws = multinomial(probs, n, { replacement: true, gen: new Generator(5) });
      expect(draws.shape).toEqual([2, n]);
      expect(draws.dtype).toBe('int64');
      const v = draws.toArray();
      const expected = [
        [0.1, 0.2, 0.7],
        [0.5, 0, 0.5],
      ];
      for (let r = 0; r < 2; r++) {
        const counts = [0, 0, 0];
        for (const k of v.slice(r * n, (r + 1) * n)) counts[k]! += 1;
        for (let c = 0; c < 3; c++) {
          const p = expected[r]![c]!;
          const sd = Math.sqrt(n * p * (1 - p));
          expect(Math.abs(counts[c]! - n * p), `row ${r} class ${c}: ${counts[c]}`).toBeLessThanOrEqual(
            5 * sd,
          );
        }
      }
    }),
  );

  it(
    'multinomial without replacement: distinct indices, zero-weight classes never drawn',
    t(() => {
      const g = new Generator(6);
      for (let i = 0; i < 20; i++) {
        const v = multinomial(tensor([3, 0, 1, 2, 0]), 3, { gen: g }).toArray();
        expect(new Set(v).size).toBe(3);
        expect([...v].sort()).toEqual([0, 2, 3]);
      }
    }),
  );

  it(
    'dropout with a generator: kept fraction 1 − p within binomial tolerance, reproducible',
    t(() => {
      const n = 20000;
      const a = dropout(ones([n]), 0.3, new Generator(8)).toArray();
      const b = dropout(ones([n]), 0.3, new Generator(8)).toArray();
      expect(a).toEqual(b);
      const kept = a.filter((x) => x !== 0).length;
      expect(Math.abs(kept - 0.7 * n)).toBeLessThan(5 * Math.sqrt(n * 0.3 * 0.7));
    }),
  );
});
