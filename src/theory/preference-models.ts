/**
 * Plackett-Luce and Bradley-Terry preference models over a finite response set, evaluated exactly
 * (notes, Lemma 1): P(τ|x) = Π_k exp(r(x,y_τ(k))) / Σ_{j≥k} exp(r(x,y_τ(j))).
 */
import { logSumExp, sigmoid } from './vector-math.ts';

/** Bradley-Terry: P(y_w ≻ y_l | x) = σ(r(x,y_w) − r(x,y_l)) = PL with two items. */
export function bradleyTerryProbability(winnerReward: number, loserReward: number): number {
  return sigmoid(winnerReward - loserReward);
}

/**
 * Plackett-Luce probability of `ranking` (indices into `rewards`, best first). A ranking may cover
 * a subset of the responses: it is then the probability of that ordering of those items alone.
 */
export function plackettLuceProbability(rewards: readonly number[], ranking: readonly number[]): number {
  let logProbability = 0;
  for (let k = 0; k < ranking.length; k++) {
    const remaining = ranking.slice(k).map((i) => rewards[i]!);
    logProbability += rewards[ranking[k]!]! - logSumExp(remaining);
  }
  return Math.exp(logProbability);
}

/** All n! orderings of [0, n), in lexicographic order. */
export function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  const result: number[][] = [];
  for (const rest of permutations(n - 1)) {
    for (let position = 0; position <= rest.length; position++) {
      result.push([...rest.slice(0, position), n - 1, ...rest.slice(position)]);
    }
  }
  return result.sort(compareLexicographic);
}

/** The full PL distribution over all orderings of `rewards`, aligned with `permutations(n)`. */
export function plackettLuceDistribution(rewards: readonly number[]): number[] {
  return permutations(rewards.length).map((ranking) => plackettLuceProbability(rewards, ranking));
}

function compareLexicographic(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}
