/**
 * PPO's critic as a separate model initialised from the reward model, as the TL;DR PPO work does
 * (Huang et al. 2024: "initialise the value model from the reward model"): the RM's trunk and score
 * head, trainable, read at every position instead of the last one. V(s_t) is the head on the hidden
 * state that predicts response token t; the position after the response (the state the RM scores)
 * gets a value too, which the TL;DR score placement uses. Its output is normalised like the reward
 * (the RM's rewardBias is subtracted), so before training V at the end of a response equals the
 * reward the response will get.
 */

import { maskWithNextPosition } from '../../losses/index.ts';
import type { RewardModel } from '../../models/index.ts';
import { cat, linear, type Tensor, tidy } from '../../tensor/index.ts';
import type { Rollout, ValueModel } from '../online/types.ts';

/** Prefix of the critic's parameter names in checkpoints (its HF names equal the policy's). */
export const CRITIC_PREFIX = 'critic.';

export class RewardModelCritic implements ValueModel {
  /** `model` must be trainable (loadRewardModel(dir, { trainable: true })). */
  constructor(readonly model: RewardModel) {}

  values(rollout: Rollout): Tensor {
    return tidy(() => {
      const P = rollout.prompts.ids.dim(1);
      const R = rollout.responseIds.dim(1);
      const ids = cat([rollout.prompts.ids, rollout.responseIds], 1);
      const mask = cat([rollout.prompts.mask.to('float32'), rollout.responseMask.to('float32')], 1);
      const { hidden } = this.model.trunk.forward(ids, { attentionMask: mask });
      // The hidden state at position P − 1 + t predicts response token t.
      const values = linear(hidden.narrow(1, P - 1, R), this.model.score).squeeze(-1);
      const normalized = this.model.rewardBias === 0 ? values : values.sub(this.model.rewardBias);
      return normalized.mul(maskWithNextPosition(rollout.responseMask.to(normalized.dtype)));
    });
  }

  parameters(): Map<string, Tensor> {
    return new Map([...this.model.parameters()].map(([name, t]) => [`${CRITIC_PREFIX}${name}`, t]));
  }

  /** Saves the trained critic as a reward-model snapshot (it reads at every position, as saved). */
  async save(dir: string): Promise<void> {
    await this.model.save(dir);
  }
}
