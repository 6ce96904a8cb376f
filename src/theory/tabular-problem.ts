/**
 * Small finite contextual bandits (theory notes, "Setting"): prompts x drawn uniformly, each with a
 * finite response set Y_x, a length |y| in tokens and a reward r(x, y) per response, and a
 * reference policy π_ref(·|x). Everything is a plain float64 number array.
 */
import type { Prng } from './prng.ts';
import { softmax } from './vector-math.ts';

/** One prompt x: aligned arrays over its responses y ∈ Y_x. */
export interface PromptResponses {
  /** r(x, y). */
  rewards: number[];
  /** |y| ≥ 1, in tokens. */
  lengths: number[];
  /** π_ref(y|x), strictly positive, sums to 1. */
  reference: number[];
}

/** A finite problem; expectations over x are uniform averages over `prompts`. */
export interface TabularProblem {
  prompts: PromptResponses[];
}

/** A tabular policy: π(·|x) as a probability vector per prompt, aligned with the problem. */
export type TabularPolicy = number[][];

/**
 * How response lengths relate inside one prompt:
 * - `equal`: all responses of a prompt share one length (lengths may differ across prompts);
 * - `unequal`: at least two distinct lengths inside every prompt.
 */
export type LengthRegime = 'equal' | 'unequal';

export interface RandomProblemOptions {
  nPrompts: number;
  minResponses: number;
  maxResponses: number;
  maxLength: number;
  lengths: LengthRegime;
  /** Rewards are rewardScale · N(0, 1). */
  rewardScale: number;
}

export const DEFAULT_PROBLEM_OPTIONS: RandomProblemOptions = {
  nPrompts: 3,
  minResponses: 2,
  maxResponses: 5,
  maxLength: 8,
  lengths: 'unequal',
  rewardScale: 1,
};

/** Draws one random problem; the same generator state gives the same problem. */
export function randomTabularProblem(rng: Prng, options: Partial<RandomProblemOptions> = {}): TabularProblem {
  const o = { ...DEFAULT_PROBLEM_OPTIONS, ...options };
  const prompts: PromptResponses[] = [];
  for (let x = 0; x < o.nPrompts; x++) {
    const n = rng.integerBetween(o.minResponses, o.maxResponses);
    prompts.push({
      rewards: Array.from({ length: n }, () => o.rewardScale * rng.normal()),
      lengths: randomLengths(rng, n, o.maxLength, o.lengths),
      reference: softmax(Array.from({ length: n }, () => rng.normal())),
    });
  }
  return { prompts };
}

function randomLengths(rng: Prng, n: number, maxLength: number, regime: LengthRegime): number[] {
  if (regime === 'equal') return new Array<number>(n).fill(rng.integerBetween(1, maxLength));
  if (maxLength < 2) throw new Error('unequal lengths need maxLength ≥ 2');
  const lengths = Array.from({ length: n }, () => rng.integerBetween(1, maxLength));
  if (lengths.every((l) => l === lengths[0])) lengths[0] = lengths[0] === 1 ? maxLength : 1;
  return lengths;
}

/** The problem with its rewards replaced by r'(x, y) = r(x, y) + shift(x, y). */
export function shiftRewards(
  problem: TabularProblem,
  shift: (promptIndex: number, responseIndex: number) => number,
): TabularProblem {
  return {
    prompts: problem.prompts.map((p, x) => ({ ...p, rewards: p.rewards.map((r, y) => r + shift(x, y)) })),
  };
}
