/**
 * REINFORCE++ (Hu 2025, "REINFORCE++: A Simple and Efficient Approach for Aligning Large Language
 * Models"; as OpenRLHF runs it), with or without its group baseline. From one rollout of π_{t−1}:
 *   1. per-token rewards: the reward-placed regularizers on every token (REINFORCE++ keeps its KL
 *      per token in the reward), the sequence score on the last one — with `baseline: group-mean`
 *      (REINFORCE++-baseline) that score minus the mean score of its prompt's samples;
 *   2. discounted returns G_t, normalised over every response token of the whole batch: the
 *      advantage (no critic, no per-prompt std);
 *   3. its loss, on each minibatch of the clipped epochs (update.ts): the token-level clipped ratio
 *      (PPO's surrogate; token-level means: token-weighted micro-batches).
 * The losses are pure functions of src/losses, each citing its equation.
 */
import { reinforcePlusPlusAdvantages } from '../../../losses/index.ts';
import type { Tensor } from '../../../tensor/index.ts';
import type { ReinforcePlusPlusConfig } from '../config.ts';
import type { OnlineAlgorithm } from '../types.ts';
import { clippedTokenLoss } from '../update.ts';

export function reinforcePlusPlus(config: ReinforcePlusPlusConfig): OnlineAlgorithm<{ advantages: Tensor }> {
  if (config.baseline === 'group-mean' && config.samplesPerPrompt < 2)
    throw new Error('reinforcePlusPlus.baseline "group-mean" needs samplesPerPrompt >= 2');
  return {
    name: 'reinforce++',
    samplesPerPrompt: config.samplesPerPrompt,
    needsValues: false,
    epochs: config.epochs,
    minibatchSize: config.minibatchSize,
    weighting: 'tokens',
    // 1–2. Token rewards, their returns, whitened over the batch.
    advantages: (context) => {
      const mask = context.rollout.responseMask;
      if (mask.sum().item() < 2)
        throw new Error(
          'REINFORCE++ normalises advantages over the batch: it needs at least 2 response tokens per step',
        );
      const advantages = reinforcePlusPlusAdvantages(
        context.scores,
        context.nonScore,
        mask,
        config.gamma,
        config.baseline === 'group-mean' ? config.samplesPerPrompt : null,
      );
      return { advantages };
    },
    // 3. The token-level clipped ratio.
    loss: ({ advantages }, now, micro, context) =>
      clippedTokenLoss(advantages, now, micro, context, config.clip),
  };
}
