/**
 * Seeded pseudo-random numbers for the lab task: every draw comes from here, never from
 * `Math.random`, so the same seed always gives the same data. Generator: the shared mulberry32
 * (src/util/prng.ts), seeded through splitmix32 so that nearby seeds and stream ids give unrelated streams.
 */
import { mulberry32, splitmix32, type Uniform } from '../../util/prng.ts';

/** A uniform draw in [0, 1); each call advances the stream. */
export type Rng = Uniform;

/** A 32-bit seed for sub-stream `stream` of `seed` (e.g. train vs eval vs preference pairs). */
export function deriveSeed(seed: number, stream: number): number {
  if (!Number.isInteger(seed) || !Number.isInteger(stream)) {
    throw new Error(`seed and stream must be integers, got ${seed} and ${stream}`);
  }
  return splitmix32(splitmix32(seed | 0) ^ splitmix32((stream | 0) + 0x632be5ab));
}

/** A mulberry32 stream started from `seed` (any integer). */
export function createRng(seed: number): Rng {
  return mulberry32(deriveSeed(seed, 0));
}

/** A uniform integer in [0, n). */
export function randomInt(rng: Rng, n: number): number {
  if (!Number.isInteger(n) || n <= 0) throw new Error(`randomInt needs a positive integer bound, got ${n}`);
  return Math.floor(rng() * n);
}

/** A uniformly chosen element of a non-empty list. */
export function pick<T>(rng: Rng, items: readonly T[]): T {
  if (items.length === 0) throw new Error('pick from an empty list');
  return items[randomInt(rng, items.length)]!;
}

/** True with probability `p`. */
export function bernoulli(rng: Rng, p: number): boolean {
  return rng() < p;
}
