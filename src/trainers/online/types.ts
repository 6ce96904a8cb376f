/**
 * What the online trainer needs from a policy, a reference model, a reward and its prompts, and
 * what it gives an algorithm to learn from one rollout.
 */
import type { Generator, Tensor } from '../../tensor/index.ts';
import type { PartLoss } from '../common/accumulate.ts';
import type { OnlineAlgorithmName, RegularizerConfig } from './config.ts';

/** A batch of prompts, left-padded: ids [B, P] int64, mask [B, P] (1 = token). */
export interface PromptBatch {
  ids: Tensor;
  mask: Tensor;
  /** Index of each row's prompt in the dataset (for rewards and judges that need the source). */
  index: number[];
}

/** The training prompts, tokenised once. */
export interface PromptSource {
  count: number;
  /** Builds the left-padded batch for these dataset indices. */
  batch(indices: number[]): PromptBatch;
}

/** Responses sampled for a prompt batch. */
export interface Rollout {
  prompts: PromptBatch;
  /** [B, R] int64: response tokens, padded after the first EOS. */
  responseIds: Tensor;
  /** [B, R] float: 1 on response tokens (EOS included), 0 on padding. */
  responseMask: Tensor;
  /** [B] bool: whether the response ended with EOS within the length limit. */
  endedWithEos: Tensor;
}

/** The rows `rows` ([n] int64) of a rollout, prompt indices included (an algorithm's minibatch). */
export function selectRows(rollout: Rollout, rows: Tensor): Rollout {
  const picked = rows.toArray();
  return {
    prompts: {
      ids: rollout.prompts.ids.indexSelect(0, rows),
      mask: rollout.prompts.mask.indexSelect(0, rows),
      index: picked.map((i) => rollout.prompts.index[i]!),
    },
    responseIds: rollout.responseIds.indexSelect(0, rows),
    responseMask: rollout.responseMask.indexSelect(0, rows),
    endedWithEos: rollout.endedWithEos.indexSelect(0, rows),
  };
}

/** Per-token quantities of a policy on a rollout, all [B, R] (full distributions [B, R, V]). */
export interface TokenScores {
  /** log π(y_t | x, y_<t) at the sampling temperature. */
  logps: Tensor;
  /** Exact entropy of π(· | x, y_<t). */
  entropy: Tensor;
  /** log π(· | x, y_<t) over the whole vocabulary, when asked (for exact KL between iterates). */
  fullLogps?: Tensor;
  /** Value-head estimates, when asked (PPO). */
  values?: Tensor;
}

export interface SampleOptions {
  /**
   * [B, ≥ maxNewTokens] float64 uniforms in (0, 1), row b's drawn from its own key (see
   * models/sampling/sampling-noise.ts): a policy samples position t of row b by inverse CDF from
   * noise[b, t] (TokenDistribution.sample), so a row's tokens do not depend on its batch.
   */
  noise: Tensor;
  temperature: number;
  maxNewTokens: number;
  /** Sample at most this many rows at once (rollout.generationBatchSize); default all. */
  batchSize?: number;
}

export interface ScoreOptions {
  temperature: number;
  full?: boolean;
  values?: boolean;
}

/** A trainable policy. `score` records autograd when grad mode is on. */
export interface OnlinePolicy {
  sample(prompts: PromptBatch, opts: SampleOptions): Rollout;
  score(rollout: Rollout, opts: ScoreOptions): TokenScores;
  /** Trainable parameters by name (checkpointed). */
  parameters(): Map<string, Tensor>;
  /**
   * A frozen copy of the policy as it is now (no autograd), which klPrev: exact scores after the
   * update; the caller disposes it.
   */
  snapshot?(): OnlinePolicy & { dispose(): void };
  /** Saves the trained policy (e.g. an HF snapshot). */
  save?(dir: string): Promise<void>;
  /** Random generators drawn from while training (LoRA dropout), checkpointed with the run. */
  rngs?(): Record<string, Generator>;
}

/**
 * A separate critic V(s_t) (PPO with `ppo.critic: reward-model`): values at the positions that
 * predict each response token, [B, R], plus the position after the response (see
 * maskWithNextPosition); autograd when grad mode is on.
 */
export interface ValueModel {
  values(rollout: Rollout): Tensor;
  /** Trainable parameters by name (checkpointed beside the policy's; names must not collide). */
  parameters(): Map<string, Tensor>;
  /** Saves the trained critic (e.g. as a reward-model snapshot). */
  save?(dir: string): Promise<void>;
}

/** Sequence-level reward r(x, y) of each rollout row → [B] (no autograd). */
export type RewardFunction = (rollout: Rollout) => Tensor;

/** Optional evaluation run every N steps on a fixed prompt set: gold score, win rate, proxy reward. */
export type Evaluator = (
  policy: OnlinePolicy,
  step: number,
) => Record<string, number> | Promise<Record<string, number>>;

/** Everything the update skeleton and an algorithm need to learn from one rollout; all per-token tensors are [B, R]. */
export interface LearnContext {
  policy: OnlinePolicy;
  rollout: Rollout;
  /** Log-probs of the sampling policy π_{t−1}. */
  oldLogps: Tensor;
  /** Values of π_{t−1} (algorithms with `needsValues` only). */
  oldValues: Tensor | null;
  /** The separate critic, when there is one (else values come from the policy's head). */
  critic: ValueModel | null;
  /** Reference log-probs, or null in reference-free runs. */
  refLogps: Tensor | null;
  /** [B] sequence scores (after the missing-EOS penalty). */
  scores: Tensor;
  /** The regularizer rewards placed in the reward. */
  nonScore: Tensor;
  regularizers: RegularizerConfig;
  temperature: number;
  /** The response length limit (Dr. GRPO's constant normaliser). */
  maxNewTokens: number;
  gen: Generator;
  /**
   * One optimizer step on the minibatch `rows` ([n] int64 rollout rows), gradient-accumulated over
   * micro-batches of at most `microBatchSize` rows (TrainingSession.applyMicroBatches). `lossOf`
   * gets each micro-batch and returns its loss as the same mean the whole minibatch would take —
   * over its response tokens ('tokens', the default: masked means) or over its rows ('rows') — and
   * its metrics; each is weighted by the micro-batch's share of the minibatch's tokens (rows), so
   * the update and the returned metrics equal those of one pass over the whole minibatch.
   */
  update(rows: Tensor, lossOf: (micro: MicroBatch) => PartLoss, weighting?: LossWeighting): UpdateResult;
}

/** How a micro-batch's loss is weighted in its minibatch: by its response tokens, or by its rows. */
export type LossWeighting = 'tokens' | 'rows';

/** A micro-batch of an update: some rows of the rollout. */
export interface MicroBatch {
  /** [n] int64 rows of the rollout. */
  rows: Tensor;
  /** The rollout restricted to these rows. */
  rollout: Rollout;
  /** These rows of a per-row tensor of the whole rollout ([B, …] → [n, …]). */
  take(t: Tensor): Tensor;
}

export interface UpdateResult {
  /** False when the NaN/Inf guard skipped the step (nonFinite: skip). */
  applied: boolean;
  /** The minibatch's loss. */
  loss: number;
  /** The minibatch's metrics (token- or row-weighted means over its micro-batches). */
  metrics: Record<string, number>;
}

/**
 * A policy-gradient algorithm as the update skeleton (update.ts) runs it: its advantage estimator and
 * its loss. `A` holds the per-row tensors the estimator computes once per rollout (the skeleton
 * disposes them after the last epoch).
 */
export interface OnlineAlgorithm<A extends Record<string, Tensor> = Record<string, Tensor>> {
  readonly name: OnlineAlgorithmName;
  /** Samples drawn per prompt in one rollout (RLOO: k ≥ 2, GRPO: the group size). */
  readonly samplesPerPrompt: number;
  /** Whether the loss reads values of the old and current critic (PPO). */
  readonly needsValues: boolean;
  /** Passes over the rollout per step. */
  readonly epochs: number;
  /** Rollout rows per optimizer step. */
  readonly minibatchSize: number;
  /** What the loss is a mean over, so how micro-batches are weighted: response tokens or rows. */
  readonly weighting: LossWeighting;
  /** How the loss-placed regularizers aggregate per-token terms, as the policy loss does (default: the masked mean over tokens). */
  readonly aggregate?: (perToken: Tensor, mask: Tensor, context: LearnContext) => Tensor;
  /** The advantage estimator (steps 1–2 of the algorithm): per-row tensors fixed for every epoch. */
  advantages(context: LearnContext): A;
  /** The loss of one micro-batch, `now` being the current policy's scores on it (regularizers excluded). */
  loss(advantages: A, now: TokenScores, micro: MicroBatch, context: LearnContext): PartLoss;
}
