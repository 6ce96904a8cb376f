/**
 * The population preference loss of a tabular policy (issue, Theorem-1 check): pairs are all ordered
 * pairs (y_w, y_l), y_w ≠ y_l, of every prompt, labelled by the Bradley-Terry model of the
 * ground-truth reward, and
 *   L(π) = E_x Σ_{y_w ≠ y_l} P(y_w ≻ y_l | x) · ℓ(log π(y_w|x), log π(y_l|x), |y_w|, |y_l|),
 * with ℓ any `PreferenceLossFn` (SimPO by default). Minimised by L-BFGS on per-prompt logits.
 */
import { type MinimizeOptions, minimizeLbfgs, type SmoothFunction } from './lbfgs.ts';
import type { PreferenceLossFn } from './preference-loss.ts';
import { bradleyTerryProbability } from './preference-models.ts';
import type { TabularPolicy, TabularProblem } from './tabular-problem.ts';
import { logSoftmax, sum } from './vector-math.ts';

/** One ordered pair of a prompt with its population weight (1/#prompts)·P(winner ≻ loser). */
export interface WeightedPair {
  prompt: number;
  winner: number;
  loser: number;
  weight: number;
}

export interface PreferenceLossMinimum {
  policy: TabularPolicy;
  logPolicy: number[][];
  loss: number;
  converged: boolean;
}

/** Every ordered pair of every prompt, weighted by its Bradley-Terry probability under r. */
export function bradleyTerryPairs(problem: TabularProblem): WeightedPair[] {
  const pairs: WeightedPair[] = [];
  const promptWeight = 1 / problem.prompts.length;
  problem.prompts.forEach(({ rewards }, prompt) => {
    for (let winner = 0; winner < rewards.length; winner++) {
      for (let loser = 0; loser < rewards.length; loser++) {
        if (winner === loser) continue;
        const weight = promptWeight * bradleyTerryProbability(rewards[winner]!, rewards[loser]!);
        pairs.push({ prompt, winner, loser, weight });
      }
    }
  });
  return pairs;
}

/** L as a function of the flattened logits (prompt after prompt), with its exact gradient. */
export function populationPreferenceLoss(problem: TabularProblem, lossFn: PreferenceLossFn): SmoothFunction {
  const pairs = bradleyTerryPairs(problem);
  const offsets = promptOffsets(problem);
  return (logits) => {
    const logPolicy = splitLogits(problem, offsets, logits).map(logSoftmax);
    const gradLogPolicy = logPolicy.map((row) => row.map(() => 0));
    let value = 0;
    for (const pair of pairs) {
      const { lengths } = problem.prompts[pair.prompt]!;
      const row = logPolicy[pair.prompt]!;
      // One call per pair: a batch of one makes the loss's batch reduction irrelevant.
      const out = lossFn(
        [row[pair.winner]!],
        [row[pair.loser]!],
        [lengths[pair.winner]!],
        [lengths[pair.loser]!],
      );
      value += pair.weight * out.loss;
      gradLogPolicy[pair.prompt]![pair.winner]! += pair.weight * out.gradChosen[0]!;
      gradLogPolicy[pair.prompt]![pair.loser]! += pair.weight * out.gradRejected[0]!;
    }
    return { value, gradient: gradLogPolicy.flatMap((g, x) => logSoftmaxChainRule(logPolicy[x]!, g)) };
  };
}

/** Minimises the population loss from the uniform policy; returns the tabular minimiser. */
export function minimizePopulationPreferenceLoss(
  problem: TabularProblem,
  lossFn: PreferenceLossFn,
  options: Partial<MinimizeOptions> = {},
): PreferenceLossMinimum {
  const size = sum(problem.prompts.map((p) => p.rewards.length));
  const result = minimizeLbfgs(
    populationPreferenceLoss(problem, lossFn),
    new Array<number>(size).fill(0),
    options,
  );
  const logPolicy = splitLogits(problem, promptOffsets(problem), result.x).map(logSoftmax);
  return {
    policy: logPolicy.map((row) => row.map(Math.exp)),
    logPolicy,
    loss: result.value,
    converged: result.converged,
  };
}

/** With log π = θ − logsumexp(θ): ∂L/∂θ_k = G_k − π_k Σ_y G_y, G = ∂L/∂log π. */
function logSoftmaxChainRule(logPolicy: readonly number[], gradLogPolicy: readonly number[]): number[] {
  const total = sum(gradLogPolicy);
  return logPolicy.map((lp, k) => gradLogPolicy[k]! - Math.exp(lp) * total);
}

function promptOffsets(problem: TabularProblem): number[] {
  const offsets: number[] = [];
  let offset = 0;
  for (const p of problem.prompts) {
    offsets.push(offset);
    offset += p.rewards.length;
  }
  return offsets;
}

function splitLogits(
  problem: TabularProblem,
  offsets: readonly number[],
  logits: readonly number[],
): number[][] {
  return problem.prompts.map((p, x) => logits.slice(offsets[x]!, offsets[x]! + p.rewards.length));
}
