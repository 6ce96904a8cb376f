/**
 * The estimator × regularizer table on the one-step bandit (src/theory/one-step-bandit.ts): each
 * cell runs the real trainOnline loop with a TabularPolicy and reports the total-variation distance
 * of the final policy to the optimum of the objective that configuration optimises. Shared by
 * test/trainers/online-estimators.test.ts and scripts/bandit-table.ts (which prints the table).
 *
 * Which objective a configuration optimises follows from its expected gradient (the estimators are
 * evaluated on samples y ∼ π_old, and reward-placed terms are constants to the gradient):
 *   KL k1 in the reward, k2 in the loss  → max E[r] − β·KL(π‖π_ref)        π ∝ π_ref·exp(r/β)
 *   KL k3 in the loss                    → max E[r] − β·KL(π_ref‖π)        π = β·π_ref/(λ − r)
 *     (E_π[∇k3] = −Σ_y π_ref(y)·∇log π(y) = ∇KL(π_ref‖π): the reverse KL)
 *   KL k1 in the loss                    → E_π[∇log π] = 0: no regularisation, argmax
 *   KL k2, k3 in the reward              → no objective: they penalise rarely drawn responses below
 *                                           π_ref ever more, and the expected dynamics collapse onto
 *                                           argmax here (docs/estimators.md)
 *   entropy sampled in the reward, exact in the loss → max E[r] + α·H(π)   π ∝ exp(r/α)
 *   entropy exact in the reward          → constant within the one state: no effect, argmax
 *   entropy sampled in the loss          → E_π[∇log π] = 0: no effect, argmax
 *   none                                 → argmax
 * The estimator can change the coefficient that acts. A baseline that is the mean of a group
 * including the sample itself (Dr. GRPO's; REINFORCE's batch mean) scales the score's gradient by
 * (G−1)/G against loss-placed terms, so they act with c·G/(G−1); REINFORCE++-baseline subtracts that
 * mean from the score only, so its reward-placed terms act with c·G/(G−1) too. Estimators that
 * divide the advantage by a batch or group std (PPO's and REINFORCE++'s whitening, GRPO's std)
 * rescale the score against loss-placed terms by 1/std, which changes as the policy concentrates:
 * those cells reach no fixed coefficient's optimum (no target), whereas reward-placed terms are
 * normalised together with the score and keep theirs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Tensor, tensor } from '../../src/tensor/index.ts';
import { oneStepBandit } from '../../src/theory/one-step-bandit.ts';
import { OnlineTrainConfigSchema } from '../../src/trainers/online/config.ts';
import { TabularPolicy } from '../../src/trainers/online/tabular-policy.ts';
import { trainOnline } from '../../src/trainers/online/trainer.ts';
import type { Rollout } from '../../src/trainers/online/types.ts';

export const bandit = oneStepBandit({ nResponses: 5, seed: 7 });
export const BETA = 0.5;
export const ALPHA = 0.5;

export const totalVariation = (p: readonly number[], q: readonly number[]) =>
  0.5 * p.reduce((s, pi, i) => s + Math.abs(pi - q[i]!), 0);

const softmax = (x: number[]) => {
  const m = Math.max(...x);
  const e = x.map((v) => Math.exp(v - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
};

/** argmax_π E[r] − β·KL(π_ref‖π): π(y) = β·π_ref(y)/(λ − r(y)), λ > max r by bisection on Σπ = 1. */
export function reverseKlOptimum(rewards: number[], reference: number[], beta: number): number[] {
  const total = (lambda: number) => rewards.reduce((s, r, y) => s + (beta * reference[y]!) / (lambda - r), 0);
  let lo = Math.max(...rewards) + 1e-12;
  let hi = lo + beta * 2;
  while (total(hi) > 1) hi += beta;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (total(mid) > 1) lo = mid;
    else hi = mid;
  }
  return rewards.map((r, y) => (beta * reference[y]!) / (hi - r));
}

/** The optima of the three objectives at coefficient c (β or α). */
export const optimumOf = {
  kl: (beta: number) =>
    softmax(bandit.rewards.map((r, y) => Math.log(bandit.referencePolicy[y]!) + r / beta)),
  reverseKl: (beta: number) => reverseKlOptimum(bandit.rewards, bandit.referencePolicy, beta),
  entropy: (alpha: number) => softmax(bandit.rewards.map((r) => r / alpha)),
  argmax: (_: number) => bandit.rewards.map((r) => (r === Math.max(...bandit.rewards) ? 1 : 0)),
};
export type Objective = keyof typeof optimumOf;

export interface RegularizerCase {
  name: string;
  regularizer: Record<string, unknown>;
  /** The objective it optimises (see above); null: none (KL k2/k3 in the reward). */
  objective: Objective | null;
  coef: number;
  /** The nominal objective of its block (kl or entropy): what the user asked for. */
  nominal: Objective;
  lossPlaced: boolean;
  needsReference: boolean;
}

const kl = (estimator: string, placement: string) => ({ kl: { coef: BETA, estimator, placement } });
const ent = (estimator: string, placement: string) => ({ entropy: { coef: ALPHA, estimator, placement } });
const klCase = (
  estimator: string,
  placement: 'reward' | 'loss',
  objective: Objective | null,
): RegularizerCase => ({
  name: `KL ${estimator} ${placement}`,
  regularizer: kl(estimator, placement),
  objective,
  coef: BETA,
  nominal: 'kl',
  lossPlaced: placement === 'loss',
  needsReference: true,
});
const entropyCase = (
  estimator: string,
  placement: 'reward' | 'loss',
  objective: Objective,
): RegularizerCase => ({
  name: `entropy ${estimator} ${placement}`,
  regularizer: ent(estimator, placement),
  objective,
  coef: ALPHA,
  nominal: 'entropy',
  lossPlaced: placement === 'loss',
  needsReference: false,
});

export const REGULARIZERS: RegularizerCase[] = [
  {
    name: 'none',
    regularizer: {},
    objective: 'argmax',
    coef: 1,
    nominal: 'argmax',
    lossPlaced: false,
    needsReference: false,
  },
  klCase('k1', 'reward', 'kl'),
  klCase('k2', 'reward', null),
  klCase('k3', 'reward', null),
  klCase('k1', 'loss', 'argmax'),
  klCase('k2', 'loss', 'kl'),
  klCase('k3', 'loss', 'reverseKl'),
  entropyCase('sampled', 'reward', 'entropy'),
  entropyCase('exact', 'reward', 'argmax'),
  entropyCase('sampled', 'loss', 'argmax'),
  entropyCase('exact', 'loss', 'entropy'),
];

export interface EstimatorCase {
  name: string;
  config: Record<string, unknown>;
  /** Responses per prompt in a rollout. */
  samplesPerPrompt: number;
  /**
   * The factor on the score's policy gradient relative to the loss-placed terms: 1 for an
   * unbiased baseline, (G−1)/G for a group mean that includes the sample itself (the coefficient
   * acts as c·G/(G−1)); null when the advantage is divided by a std that changes as π does.
   */
  lossScale: number | null;
  /** The factor on the score relative to the reward-placed regularizers (REINFORCE++-baseline: (G−1)/G). */
  scoreScale: number;
}

const oneEpoch = { epochs: 1, minibatchSize: 1024 };
const G = 4;
/** Responses per step of every cell. */
export const RESPONSES = 64;
export const ESTIMATORS: EstimatorCase[] = [
  {
    name: 'PPO',
    config: { algorithm: 'ppo', ppo: { ...oneEpoch, gamma: 1, lambda: 1 } },
    samplesPerPrompt: 1,
    lossScale: null,
    scoreScale: 1,
  },
  {
    name: 'RLOO',
    config: { algorithm: 'rloo', rloo: { k: G, ...oneEpoch } },
    samplesPerPrompt: G,
    lossScale: 1,
    scoreScale: 1,
  },
  {
    name: 'RLOO (TRL, sequence ratio)',
    config: { algorithm: 'rloo', rloo: { k: G, ratio: 'sequence', ...oneEpoch } },
    samplesPerPrompt: G,
    lossScale: 1,
    scoreScale: 1,
  },
  {
    name: 'REINFORCE',
    config: { algorithm: 'reinforce', rloo: oneEpoch },
    samplesPerPrompt: 1,
    lossScale: (RESPONSES - 1) / RESPONSES,
    scoreScale: 1,
  },
  {
    name: 'GRPO',
    config: { algorithm: 'grpo', grpo: { groupSize: G, ...oneEpoch } },
    samplesPerPrompt: G,
    lossScale: null,
    scoreScale: 1,
  },
  {
    name: 'Dr. GRPO',
    config: {
      algorithm: 'grpo',
      grpo: { groupSize: G, scaleRewards: false, lossAggregation: 'constant', ...oneEpoch },
    },
    samplesPerPrompt: G,
    lossScale: (G - 1) / G,
    scoreScale: 1,
  },
  {
    name: 'REINFORCE++',
    config: { algorithm: 'reinforce++', reinforcePlusPlus: oneEpoch },
    samplesPerPrompt: 1,
    lossScale: null,
    scoreScale: 1,
  },
  {
    name: 'REINFORCE++-baseline',
    config: {
      algorithm: 'reinforce++',
      reinforcePlusPlus: { baseline: 'group-mean', samplesPerPrompt: G, ...oneEpoch },
    },
    samplesPerPrompt: G,
    lossScale: null,
    scoreScale: (G - 1) / G,
  },
];

/**
 * The policy a cell must reach: the optimum of the objective it optimises at its effective
 * coefficient; null when there is none (KL k2/k3 in the reward; loss-placed terms under a
 * std-rescaling estimator).
 */
export function targetOf(e: EstimatorCase, r: RegularizerCase): number[] | null {
  if (r.objective === null) return null;
  if (r.objective === 'argmax') return optimumOf.argmax(0);
  const scale = r.lossPlaced ? e.lossScale : e.scoreScale;
  if (scale === null) return null;
  return optimumOf[r.objective](r.coef / scale);
}

/** The optimum the user's config names (KL: π_ref·exp(r/β)/Z, entropy: exp(r/α)/Z, none: argmax). */
export function nominalOf(r: RegularizerCase): number[] {
  return optimumOf[r.nominal](r.coef);
}

const rewardOf = (r: Rollout): Tensor =>
  tensor(bandit.rewards, { dtype: 'float64' }).indexSelect(0, r.responseIds.reshape(-1));

export interface TrainOptions {
  steps: number;
  /** Responses per step (prompts × samples per prompt). */
  responses: number;
  lr: number;
  seed: number;
}

export const DEFAULT_TRAIN: TrainOptions = { steps: 300, responses: RESPONSES, lr: 0.05, seed: 3 };

/** Trains one cell from π = π_ref; returns the final π. */
export async function trainCell(
  estimator: EstimatorCase,
  regularizer: RegularizerCase,
  o: TrainOptions = DEFAULT_TRAIN,
): Promise<number[]> {
  const ref = bandit.referencePolicy.map(Math.log);
  const policy = new TabularPolicy([ref]);
  const reference = regularizer.needsReference ? new TabularPolicy([ref], false) : null;
  const dir = mkdtempSync(join(tmpdir(), 'bandit-'));
  try {
    const config = OnlineTrainConfigSchema.parse({
      ...estimator.config,
      steps: o.steps,
      promptsPerStep: Math.max(1, Math.round(o.responses / estimator.samplesPerPrompt)),
      lr: o.lr,
      schedule: 'linear',
      temperature: 1,
      maxNewTokens: 1,
      missingEosPenalty: null,
      regularizer: regularizer.regularizer,
      evalEvery: 0,
      checkpointEvery: 0,
      maxGradNorm: 100,
      klPrev: 'sampled',
      seed: o.seed,
    });
    await trainOnline({
      runDir: dir,
      name: 'bandit',
      config,
      policy,
      reference,
      reward: rewardOf,
      log: () => {},
      prompts: { count: 1, batch: (idx) => TabularPolicy.prompts(idx) },
    });
    return policy.probabilities()[0]!;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** TV distance within which a cell with a target must end (300 steps × RESPONSES responses). */
export const TOLERANCE = 0.04;

/**
 * The table's tests for some estimators: each cell with a target ends within TOLERANCE of it;
 * cells without one end far from the optimum their config names. Returns the final policies.
 */
export function describeTable(estimators: EstimatorCase[]): Map<string, number[]> {
  const finals = new Map<string, number[]>();
  for (const e of estimators)
    describe(`${e.name} on the one-step bandit`, () => {
      for (const r of REGULARIZERS) {
        const target = targetOf(e, r);
        const claim =
          target !== null
            ? `reaches the optimum of what it optimises within TV ${TOLERANCE}`
            : r.objective === null
              ? 'has no objective and ends far from the KL optimum'
              : 'is rescaled by the std and ends far from the optimum its config names';
        it(`${r.name}: ${claim}`, async () => {
          const p = await trainCell(e, r);
          finals.set(`${e.name} | ${r.name}`, p);
          if (target !== null) expect(totalVariation(p, target)).toBeLessThan(TOLERANCE);
          else expect(totalVariation(p, nominalOf(r))).toBeGreaterThan(r.objective === null ? 0.2 : 0.1);
        });
      }
    });
  return finals;
}
