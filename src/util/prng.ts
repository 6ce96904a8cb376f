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

const TWO_POW_32 = 4294967296;
const TWO_POW_52 = 4503599627370496;

/**
 * A 32-bit hash of a tuple of non-negative safe integers: each part's low and high 32-bit words
 * are folded in through splitmix32 in turn, so (1, 2) and (2, 1) hash apart.
 */
export function hashKey(parts: readonly number[]): number {
  let h = 0x6a09e667;
  for (const part of parts) {
    if (!Number.isSafeInteger(part) || part < 0)
      throw new Error(`hashKey parts must be non-negative safe integers, got ${part}`);
    h = splitmix32(h ^ (part % TWO_POW_32));
    h = splitmix32(h ^ Math.floor(part / TWO_POW_32));
  }
  return h;
}

/**
 * `count` uniform draws in (0, 1) that are a pure function of `key` (counter-based: draw i is
 * built from the hashes of (key, 2i) and (key, 2i + 1)), at 52-bit resolution: (a + ½)/2^52.
 * Unlike a stream, draw i never depends on how many draws were taken before it.
 */
export function keyedUniforms(key: number, count: number): Float64Array {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const high = hashKey([key, 2 * i]) >>> 12; // 20 bits
    const low = hashKey([key, 2 * i + 1]); // 32 bits
    out[i] = (high * TWO_POW_32 + low + 0.5) / TWO_POW_52;
  }
  return out;
}
