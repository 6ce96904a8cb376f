/**
 * Steps 1–2 of the online loop, the rollout collector: sample responses from π_{t−1} for a step's
 * prompts, then score them without autograd — log π_{t−1} and its exact entropy, the critic's values
 * (PPO), the reference's log-probs (if any) and the reward r(x, y) with the missing-EOS penalty.
 *
 * Over data-parallel ranks each rank samples and scores its contiguous share of the rows (all k
 * samples of a prompt on one rank, each row from its own noise key: the tokens one process would
 * sample), and the shares are gathered at the end, so that the rest of the step sees the whole
 * rollout on every rank, as one process would (data-parallel.ts).
 */
import { samplingNoise } from '../../models/index.ts';
import { noGrad } from '../../tensor/index.ts';
import type { DataParallel } from '../common/data-parallel.ts';
import { rewardInChunks, scoreInChunks, valuesInChunks } from './chunks.ts';
import type { OnlineTrainConfig } from './config.ts';
import { gatherRollout, localPrompts, type ScoredRollout, shareOfStep } from './data-parallel.ts';
import { penalizeMissingEos } from './rewards.ts';
import type { OnlinePolicy, PromptSource, RewardFunction, ValueModel } from './types.ts';

/** What the collector samples from and scores with. */
export interface RolloutModels {
  policy: OnlinePolicy;
  reference: OnlinePolicy | null;
  reward: RewardFunction;
  /** A separate critic (PPO with ppo.critic: reward-model), else null. */
  critic: ValueModel | null;
  prompts: PromptSource;
}

/** A step's rollout: the whole of it (every rank's rows), this rank's own rows, and their share. */
export interface CollectedRollout {
  whole: ScoredRollout;
  local: ScoredRollout;
  /** This rank's fraction of the rows (1 in one process). */
  share: number;
}

export class RolloutCollector {
  constructor(
    private readonly models: RolloutModels,
    private readonly config: OnlineTrainConfig,
    /** Samples per prompt (the algorithm's) and whether its loss reads values. */
    private readonly algorithm: { samplesPerPrompt: number; needsValues: boolean },
    private readonly dp: DataParallel,
  ) {}

  /** Samples and scores the prompts `indices` (dataset indices) at step `step`. */
  collect(step: number, indices: number[]): CollectedRollout {
    const { models, config: c, dp } = this;
    const k = this.algorithm.samplesPerPrompt;
    const allPrompts = models.prompts.batch(indices.flatMap((i) => Array<number>(k).fill(i)));
    // Row (prompt j, sample s) samples from its own key, whatever the batch it is decoded in.
    const allKeys = indices.flatMap((_, j) =>
      Array.from({ length: k }, (_, s) => ({ seed: c.seed, step, prompt: j, sample: s })),
    );
    // This rank's rows (all of them in one process).
    const { start, end } = shareOfStep(dp, indices.length, k);
    const prompts = dp.distributed ? localPrompts(allPrompts, start, end) : allPrompts;
    const keys = allKeys.slice(start, end);
    const T = c.temperature;

    const local: ScoredRollout = noGrad(() => {
      // 1. Sample from π_{t−1}.
      const noise = samplingNoise(keys, c.maxNewTokens, prompts.ids.device);
      const rollout = models.policy.sample(prompts, {
        noise,
        temperature: T,
        maxNewTokens: c.maxNewTokens,
        batchSize: c.rollout.generationBatchSize ?? undefined,
      });
      // 2. Score: π_{t−1} (and its values), the reference, the reward.
      const chunk = c.rollout.scoreBatchSize;
      const critic = models.critic;
      const policyValues = this.algorithm.needsValues && critic === null;
      const old = scoreInChunks(rollout, chunk, (part) =>
        models.policy.score(part, { temperature: T, values: policyValues }),
      );
      if (this.algorithm.needsValues && critic) old.values = valuesInChunks(rollout, chunk, critic);
      const reference = models.reference;
      const ref = reference
        ? scoreInChunks(rollout, chunk, (part) => reference.score(part, { temperature: T }))
        : null;
      const reward = rewardInChunks(rollout, chunk, models.reward);
      const scores = penalizeMissingEos(reward, rollout.endedWithEos, c.missingEosPenalty);
      return { rollout, old, ref, scores };
    });
    // Every rank then holds the whole rollout, as one process would.
    const whole = dp.distributed ? gatherRollout(dp, allPrompts, local, start) : local;
    return { whole, local, share: (end - start) / allKeys.length };
  }
}
