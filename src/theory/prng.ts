/**
 * Draws for the theory checks from the shared seeded generator (mulberry32, src/util/prng.ts), so
 * every random theory instance is reproducible from its seed alone and independent of Math.random.
 */
import { mulberry32 } from '../util/prng.ts';

export interface Prng {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Uniform in [low, high). */
  uniformBetween(low: number, high: number): number;
  /** Integer uniform in [low, high] (both inclusive). */
  integerBetween(low: number, high: number): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
}

export function createPrng(seed: number): Prng {
  const uniform = mulberry32(seed);
  return {
    uniform,
    uniformBetween: (low, high) => low + (high - low) * uniform(),
    integerBetween: (low, high) => low + Math.floor(uniform() * (high - low + 1)),
    normal: () => {
      const u1 = 1 - uniform();
      const u2 = uniform();
      return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    },
  };
}
