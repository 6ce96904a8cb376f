/**
 * PPO for RLHF (Schulman et al. 2017; details as in Huang et al. 2024, the TL;DR PPO study). From
 * one rollout of π_{t−1}:
 *   1. per-token rewards: the regularizer rewards on every token, the sequence score on the last one;
 *   2. advantages by GAE over the value head's estimates V_{t−1}, whitened (rewards optionally too);
 *   3. `epochs` passes over shuffled minibatches of rows: rescore them under the current policy and
 *      take one optimizer step on the clipped surrogate + valueCoef · clipped value loss + the
 *      loss-placed regularizers (all token-level masked means, so micro-batches are token-weighted).
 * The losses are pure functions of src/losses, each citing its equation.
 */
import { gae, maskedWhiten, ppoPolicyLoss, ppoValueLoss } from '../../../losses/index.ts';
import { arange, randperm, type Tensor, tidy } from '../../../tensor/index.ts';
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

  // 1–2. Rewards and advantages, fixed for every epoch.
  const { advantages, returns } = tidy(() => {
    let rewards = context.nonScore.add(lastTokenOneHot(mask).mul(context.scores.unsqueeze(1)));
    if (config.whitenRewards) rewards = maskedWhiten(rewards, mask, false);
    const estimate = gae(rewards, oldValues, mask, config.gamma, config.lambda);
    return { advantages: maskedWhiten(estimate.advantages, mask), returns: estimate.returns };
  });

  // 3. Clipped-surrogate epochs over minibatches of rows.
  const batchSize = mask.dim(0);
  const logged: Record<string, number>[] = [];
  for (let epoch = 0; epoch < config.epochs; epoch++) {
    for (const rows of randperm(batchSize, context.gen).split(Math.min(config.minibatchSize, batchSize))) {
      const { metrics } = context.update(rows, ({ rollout: micro, take }) => {
        const now = context.policy.score(micro, { temperature: context.temperature, values: true });
        const m = micro.responseMask;
        const policy = ppoPolicyLoss(now.logps, take(oldLogps), take(advantages), m, config.clip);
        const value = ppoValueLoss(now.values!, take(oldValues), take(returns), m, config.valueClip);
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
            'loss/policy_avg': policy.loss.item(),
            'loss/value_avg': value.loss.item(),
            'policy/approxkl_avg': policy.approxKl.item(),
            'policy/clipfrac_avg': policy.clipfrac.item(),
            'val/clipfrac_avg': value.clipfrac.item(),
            'val/ratio': policy.ratio.item(),
          },
        };
      });
      logged.push(metrics);
      rows.dispose();
    }
  }
  advantages.dispose();
  returns.dispose();
  return logged;
}

/** [B, R] one-hot of each row's last response token (where the sequence-level score is paid). */
function lastTokenOneHot(mask: Tensor): Tensor {
  return tidy(() => {
    const lastIndex = mask.sum(1).sub(1).clamp(0).to('int64').unsqueeze(1);
    const positions = arange(mask.dim(1), undefined, 1, { device: mask.device }).unsqueeze(0);
    return positions.eq(lastIndex).to(mask.dtype).mul(mask.sum(1, true).gt(0).to(mask.dtype));
  });
}
