/** Deterministic train/eval split. */
import { seededPermutation } from '../util/prng.ts';

/**
 * Splits `items` into disjoint train and eval parts: a seeded shuffle picks
 * `Math.round(items.length * evalFraction)` items for eval. Both parts keep the items' original order,
 * and the same items, fraction and seed always give the same split.
 */
export function splitTrainEval<T>(
  items: readonly T[],
  evalFraction: number,
  seed: number,
): { train: T[]; eval: T[] } {
  if (!(evalFraction >= 0 && evalFraction <= 1)) {
    throw new RangeError(`evalFraction must be in [0, 1], got ${evalFraction}`);
  }
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  const evalCount = Math.round(items.length * evalFraction);
  const inEval = new Set(seededPermutation(items.length, seed).slice(0, evalCount));
  const split = { train: [] as T[], eval: [] as T[] };
  for (const [i, item] of items.entries()) (inEval.has(i) ? split.eval : split.train).push(item);
  return split;
}
