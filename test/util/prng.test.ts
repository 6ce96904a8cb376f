/**
 * The shared PRNG against an independent Python implementation of mulberry32 and splitmix32
 * (explicit 32-bit masking instead of Math.imul / >>> 0; the values below were printed by it).
 */
import { describe, expect, it } from 'vitest';
import { createRng, deriveSeed } from '../../src/lab/task/rng.ts';
import { mulberry32, seededPermutation, splitmix32 } from '../../src/util/prng.ts';

const PYTHON_MULBERRY32: Record<number, number[]> = {
  0: [0.26642920868471265, 0.0003297457005828619, 0.2232720274478197, 0.1462021479383111],
  1: [0.6270739405881613, 0.002735721180215478, 0.5274470399599522, 0.9810509674716741],
  123456789: [0.2577907438389957, 0.9707721115555614, 0.7853280142880976, 0.20616457983851433],
  4294967295: [0.8964226141106337, 0.189478256739676, 0.7156526781618595, 0.9440599093213677],
};

describe('mulberry32', () => {
  it('matches an independent implementation draw for draw', () => {
    for (const [seed, expected] of Object.entries(PYTHON_MULBERRY32)) {
      const next = mulberry32(Number(seed));
      expect(expected.map(() => next())).toEqual(expected);
    }
  });

  it('reduces seeds modulo 2^32', () => {
    const a = mulberry32(-1);
    expect([a(), a()]).toEqual(PYTHON_MULBERRY32[4294967295]!.slice(0, 2));
  });
});

describe('splitmix32 and permutations', () => {
  it('splitmix32 matches the independent implementation', () => {
    expect([0, 1, 42, 4294967295].map(splitmix32)).toEqual([2462723854, 2527132011, 939911724, 920564995]);
  });

  it('a seeded permutation is Fisher–Yates driven by mulberry32', () => {
    expect(seededPermutation(6, 7)).toEqual([4, 1, 2, 3, 5, 0]);
  });

  it("the lab's streams are mulberry32 from a splitmix-derived seed", () => {
    const lab = createRng(5);
    const direct = mulberry32(deriveSeed(5, 0));
    for (let i = 0; i < 20; i++) expect(lab()).toBe(direct());
  });
});
