/**
 * GRPO (Shao et al. 2024, "DeepSeekMath", §4.1.2, Eq. 3) and Dr. GRPO (Liu et al. 2025,
 * "Understanding R1-Zero-Like Training"). From one rollout of π_{t−1}, G responses per prompt:
 *   1. each response's return: its score plus its summed reward-placed regularizer rewards (GRPO
 *      itself puts its KL (k3) in the loss: `regularizer.kl: { estimator: k3, placement: loss }`);
 *   2. its advantage, relative to its group: minus the group mean, divided by the group std
 *      (`scaleRewards`; Dr. GRPO drops the division), put on every response token;
 *   3. `epochs` passes over shuffled minibatches of rows: rescore them and take one optimizer step on
 *      the token-level clipped ratio + the loss-placed regularizers, both aggregated over tokens as
 *      `lossAggregation` says (GRPO: per-response mean, then the mean over responses; Dr. GRPO: the
 *      sum over tokens divided by a constant, responses × maxNewTokens).
 * The losses are pure functions of src/losses, each citing its equation.
 */
import { aggregateTokenLosses, groupRelativeAdvantages, ppoPolicyLoss } from '../../../losses/index.ts';
import { type Tensor, tidy } from '../../../tensor/index.ts';
import { clippedPolicyMetrics, shuffledMinibatches } from '../chunks.ts';
import type { GrpoConfig } from '../config.ts';
import { regularizerLoss } from '../regularizers.ts';
import type { LearnContext, OnlineAlgorithm } from '../types.ts';

export function grpo(config: GrpoConfig): OnlineAlgorithm {
  return {
    name: 'grpo',
    samplesPerPrompt: config.groupSize,
    needsValues: false,
    learn: (context) => learn(config, context),
  };
}

function learn(config: GrpoConfig, context: LearnContext): Record<string, number>[] {
  const { rollout, oldLogps, refLogps } = context;
  const mask = rollout.responseMask;

  // 1–2. Group-relative advantages on every response token, fixed for every epoch.
  const tokenAdvantages = tidy(() => {
    const returns = context.scores.add(context.nonScore.sum(1));
    return groupRelativeAdvantages(returns, config.groupSize, config.scaleRewards).unsqueeze(1).mul(mask);
  });
  const aggregate = (perToken: Tensor, m: Tensor) =>
    aggregateTokenLosses(perToken, m, config.lossAggregation, context.maxNewTokens);

  // 3. Clipped-ratio epochs over minibatches of rows. A per-response mean (GRPO) and a sum over a
  // constant (Dr. GRPO) are means over rows, so their micro-batches are weighted by rows.
  const weighting = config.lossAggregation === 'token-mean' ? 'tokens' : 'rows';
  const batchSize = mask.dim(0);
  const logged: Record<string, number>[] = [];
  for (const rows of shuffledMinibatches(batchSize, config.epochs, config.minibatchSize, context.gen)) {
    const { metrics } = context.update(
      rows,
      ({ rollout: micro, take }) => {
        const now = context.policy.score(micro, { temperature: context.temperature });
        const m = micro.responseMask;
        const policy = ppoPolicyLoss(
          now.logps,
          take(oldLogps),
          take(tokenAdvantages),
          m,
          config.clip,
          config.lossAggregation,
          context.maxNewTokens,
        );
        const regularizer = regularizerLoss(
          context.regularizers,
          now.logps,
          now.entropy,
          refLogps && take(refLogps),
          m,
          aggregate,
        );
        return {
          loss: policy.loss.add(regularizer),
          metrics: clippedPolicyMetrics(policy),
        };
      },
      weighting,
    );
    logged.push(metrics);
    rows.dispose();
  }
  tokenAdvantages.dispose();
  return logged;
}
