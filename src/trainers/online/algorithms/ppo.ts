/**
 * PPO for RLHF (Schulman et al. 2017; details as in Huang et al. 2024, the TL;DR PPO study). From
 * one rollout of π_{t−1}:
 *   1. per-token rewards: the regularizer rewards on every token, the sequence score on the last one
 *      (`scorePlacement: after-last-token`: one position later, on the state after the response,
 *      which then gets a value too — as the TL;DR PPO work places it; docs/estimators.md);
 *   2. advantages by GAE over the critic's estimates V_{t−1} (a value head on the policy, or a
 *      separate critic initialised from the reward model), whitened (rewards optionally too);
 *   3. its loss, on each minibatch of the clipped epochs (update.ts): the clipped surrogate +
 *      valueCoef · the clipped value loss (token-level masked means: token-weighted micro-batches).
 * The losses are pure functions of src/losses, each citing its equation.
 */
import {
  gae,
  lastTokenOneHot,
  maskedWhiten,
  maskWithNextPosition,
  ppoPolicyLoss,
  ppoValueLoss,
} from '../../../losses/index.ts';
import { type Tensor, tidy } from '../../../tensor/index.ts';
import type { PpoConfig } from '../config.ts';
import type { OnlineAlgorithm } from '../types.ts';
import { clippedPolicyMetrics } from '../update.ts';

export function ppo(config: PpoConfig): OnlineAlgorithm<{ advantages: Tensor; returns: Tensor }> {
  // The positions that carry rewards and values: the response, and with the TL;DR placement the
  // state after it (policy losses stay on the response tokens).
  const afterLast = config.scorePlacement === 'after-last-token';
  const valued = (m: Tensor) => (afterLast ? maskWithNextPosition(m) : m);
  return {
    name: 'ppo',
    samplesPerPrompt: 1,
    needsValues: true,
    epochs: config.epochs,
    minibatchSize: config.minibatchSize,
    weighting: 'tokens',
    // 1–2. Rewards, then GAE advantages (whitened) and returns.
    advantages: (context) =>
      tidy(() => {
        const mask = context.rollout.responseMask;
        const valueMask = valued(mask);
        const scoreAt = afterLast ? lastTokenOneHot(valueMask) : lastTokenOneHot(mask);
        let rewards = context.nonScore.add(scoreAt.mul(context.scores.unsqueeze(1)));
        if (config.whitenRewards) rewards = maskedWhiten(rewards, valueMask, false);
        const estimate = gae(rewards, context.oldValues!, valueMask, config.gamma, config.lambda);
        return { advantages: maskedWhiten(estimate.advantages, mask), returns: estimate.returns };
      }),
    // 3. Clipped surrogate + valueCoef · clipped value loss. With the TL;DR placement the value loss
    // also covers the position after each response, so its micro-batch weights (response tokens)
    // are off by one position per row: micro-batching then changes the value term slightly (one
    // pass, the default, is exact).
    loss: ({ advantages, returns }, now, { rollout: micro, take }, context) => {
      const values = context.critic ? context.critic.values(micro) : now.values!;
      const m = micro.responseMask;
      const policy = ppoPolicyLoss(now.logps, take(context.oldLogps), take(advantages), m, config.clip);
      const value = ppoValueLoss(
        values,
        take(context.oldValues!),
        take(returns),
        valued(m),
        config.valueClip,
      );
      return {
        loss: policy.loss.add(value.loss.mul(config.valueCoef)),
        metrics: {
          ...clippedPolicyMetrics(policy),
          'loss/value_avg': value.loss.item(),
          'val/clipfrac_avg': value.clipfrac.item(),
          'val/ratio': policy.ratio.item(),
        },
      };
    },
  };
}
