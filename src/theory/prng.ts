/**
 * A small seeded pseudo-random generator (mulberry32), so every random theory instance is
 * reproducible from its seed alone and independent of Math.random.
 */
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

/** mulberry32: 32-bit state, full period 2^32, adequate for drawing small test instances. */
export function createPrng(seed: number): Prng {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
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
