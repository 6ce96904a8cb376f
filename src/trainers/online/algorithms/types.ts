import type { Generator, Tensor } from '../../../tensor/index.ts';
import type { RegularizerConfig } from '../regularizers.ts';
import type { OnlinePolicy, Rollout } from '../types.ts';

/** Everything an algorithm needs to learn from one rollout. */
export interface LearnContext {
  policy: OnlinePolicy;
  rollout: Rollout;
  /** [B, R] log-probs of the sampling policy π_{t−1}. */
  oldLogps: Tensor;
  /** [B, R] values of π_{t−1} (PPO only). */
  oldValues: Tensor | null;
  /** [B, R] reference log-probs, or null in reference-free runs. */
  refLogps: Tensor | null;
  /** [B] sequence scores (after the missing-EOS penalty). */
  scores: Tensor;
  /** [B, R] regularizer rewards placed in the reward. */
  nonScore: Tensor;
  regularizers: RegularizerConfig;
  temperature: number;
  gen: Generator;
  /** Zero-grad, backward, NaN guard, clip, optimizer step. Returns false when the step was skipped. */
  update(loss: Tensor): boolean;
}

export interface OnlineAlgorithm {
  readonly name: 'ppo' | 'rloo' | 'reinforce';
  /** Samples drawn per prompt in one rollout (RLOO: k ≥ 2). */
  readonly samplesPerPrompt: number;
  readonly needsValues: boolean;
  /** Updates the policy from the rollout; returns metrics (TRL names). */
  learn(ctx: LearnContext): Record<string, number>;
}
