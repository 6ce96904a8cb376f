/**
 * The project's one seeded pseudo-random generator, in plain JavaScript (no tensors): data splits,
 * data order, the lab's synthetic task and the theory checks all draw from it, never from
 * Math.random, so a seed always gives the same numbers. Tensor randomness is libtorch's Generator.
 *
 * mulberry32 (Tommy Ettinger): 32-bit state, period 2^32, small and fast; adequate for shuffles and
 * synthetic data. splitmix32's output mix scrambles seeds so that nearby seeds give unrelated streams.
 */

/** A uniform draw in [0, 1); each call advances the stream. */
export type Uniform = () => number;

/** mulberry32 started from the 32-bit integer `seed` (other numbers are reduced modulo 2^32). */
export function mulberry32(seed: number): Uniform {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** splitmix32's output mix: a bijective scramble of a 32-bit integer. */
export function splitmix32(value: number): number {
  let z = (value + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** Shuffles `items` in place (Fisher–Yates, from the last position down) with draws from `random`. */
export function shuffleInPlace<T>(items: T[], random: Uniform): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** A permutation of 0..n−1 determined by `seed`. */
export function seededPermutation(n: number, seed: number): number[] {
  return shuffleInPlace(
    Array.from({ length: n }, (_, i) => i),
    mulberry32(seed),
  );
}
