/** What the online trainer needs from a policy, a reference model and a reward. */
import type { Generator, Tensor } from '../../tensor/index.ts';

/** A batch of prompts, left-padded: ids [B, P] int64, mask [B, P] (1 = token). */
export interface PromptBatch {
  ids: Tensor;
  mask: Tensor;
  /** Index of each row's prompt in the dataset (for rewards and judges that need the source). */
  index: number[];
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
  gen: Generator;
  temperature: number;
  maxNewTokens: number;
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
  /** Saves the trained policy (e.g. an HF snapshot). */
  save?(dir: string): Promise<void>;
}

/** Sequence-level reward r(x, y) of each rollout row → [B] (no autograd). */
export type RewardFunction = (rollout: Rollout) => Tensor;

/** Optional evaluation run every N steps on a fixed prompt set: gold score, win rate, proxy reward. */
export type Evaluator = (
  policy: OnlinePolicy,
  step: number,
) => Record<string, number> | Promise<Record<string, number>>;
