/**
 * PPO for RLHF (Schulman et al. 2017; details as in Huang et al. 2024, the TL;DR PPO study). From
 * one rollout of π_{t−1}:
 *   1. per-token rewards: the regularizer rewards on every token, the sequence score on the last one
 *      (`scorePlacement: after-last-token`: one position later, on the state after the response,
 *      which then gets a value too — as the TL;DR PPO work places it; docs/estimators.md);
 *   2. advantages by GAE over the critic's estimates V_{t−1} (a value head on the policy, or a
 *      separate critic initialised from the reward model), whitened (rewards optionally too);
 *   3. `epochs` passes over shuffled minibatches of rows: rescore them under the current policy and
 *      take one optimizer step on the clipped surrogate + valueCoef · clipped value loss + the
 *      loss-placed regularizers (all token-level masked means, so micro-batches are token-weighted).
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
import { clippedPolicyMetrics, shuffledMinibatches } from '../chunks.ts';
import type { PpoConfig } from '../config.ts';
import { regularizerLoss } from '../regularizers.ts';
import type { LearnContext, OnlineAlgorithm } from '../types.ts';

export function ppo(config: PpoConfig): OnlineAlgorithm {
  return {
    name: 'ppo',
    samplesPerPrompt: 1,
    needsValues: true,
    learn: (context) => learn(config, context),
  };
}

function learn(config: PpoConfig, context: LearnContext): Record<string, number>[] {
  const { rollout, oldLogps, refLogps } = context;
  const oldValues = context.oldValues!;
  const mask = rollout.responseMask;
  // The positions that carry rewards and values: the response, and with the TL;DR placement the
  // state after it (policy losses stay on the response tokens).
  const afterLast = config.scorePlacement === 'after-last-token';
  const valued = (m: Tensor) => (afterLast ? maskWithNextPosition(m) : m);
  const valueMask = valued(mask);

  // 1–2. Rewards and advantages, fixed for every epoch.
  const { advantages, returns } = tidy(() => {
    const scoreAt = afterLast ? lastTokenOneHot(valueMask) : lastTokenOneHot(mask);
    let rewards = context.nonScore.add(scoreAt.mul(context.scores.unsqueeze(1)));
    if (config.whitenRewards) rewards = maskedWhiten(rewards, valueMask, false);
    const estimate = gae(rewards, oldValues, valueMask, config.gamma, config.lambda);
    return { advantages: maskedWhiten(estimate.advantages, mask), returns: estimate.returns };
  });

  // 3. Clipped-surrogate epochs over minibatches of rows.
  const batchSize = mask.dim(0);
  const logged: Record<string, number>[] = [];
  for (const rows of shuffledMinibatches(batchSize, config.epochs, config.minibatchSize, context.gen)) {
    const { metrics } = context.update(rows, ({ rollout: micro, take }) => {
      const now = context.policy.score(micro, {
        temperature: context.temperature,
        values: context.critic === null,
      });
      const values = context.critic ? context.critic.values(micro) : now.values!;
      const m = micro.responseMask;
      // With the TL;DR placement the value loss also covers the position after each response, so
      // its micro-batch weights (response tokens) are off by one position per row: micro-batching
      // then changes the value term slightly (one pass, the default, is exact).
      const policy = ppoPolicyLoss(now.logps, take(oldLogps), take(advantages), m, config.clip);
      const value = ppoValueLoss(values, take(oldValues), take(returns), valued(m), config.valueClip);
      const regularizer = regularizerLoss(
        context.regularizers,
        now.logps,
        now.entropy,
        refLogps && take(refLogps),
        m,
      );
      return {
        loss: policy.loss.add(value.loss.mul(config.valueCoef)).add(regularizer),
        metrics: {
          ...clippedPolicyMetrics(policy),
          'loss/value_avg': value.loss.item(),
          'val/clipfrac_avg': value.clipfrac.item(),
          'val/ratio': policy.ratio.item(),
        },
      };
    });
    logged.push(metrics);
    rows.dispose();
  }
  advantages.dispose();
  returns.dispose();
  if (valueMask !== mask) valueMask.dispose();
  return logged;
}
