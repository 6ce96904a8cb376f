/**
 * GRPO (Shao et al. 2024, "DeepSeekMath", §4.1.2, Eq. 3) and Dr. GRPO (Liu et al. 2025,
 * "Understanding R1-Zero-Like Training"). From one rollout of π_{t−1}, G responses per prompt:
 *   1. each response's return: its score plus its summed reward-placed regularizer rewards (GRPO
 *      itself puts its KL (k3) in the loss: `regularizer.kl: { estimator: k3, placement: loss }`);
 *   2. its advantage, relative to its group: minus the group mean, divided by the group std
 *      (`scaleRewards`; Dr. GRPO drops the division), put on every response token;
 *   3. its loss, on each minibatch of the clipped epochs (update.ts): the token-level clipped ratio,
 *      aggregated over tokens (as are the loss-placed regularizers) as `lossAggregation` says (GRPO:
 *      per-response mean, then the mean over responses; Dr. GRPO: the sum over tokens divided by a
 *      constant, responses × maxNewTokens).
 * The losses are pure functions of src/losses, each citing its equation.
 */
import { aggregateTokenLosses, groupRelativeAdvantages } from '../../../losses/index.ts';
import { type Tensor, tidy } from '../../../tensor/index.ts';
import type { GrpoConfig } from '../config.ts';
import type { OnlineAlgorithm } from '../types.ts';
import { clippedTokenLoss } from '../update.ts';

export function grpo(config: GrpoConfig): OnlineAlgorithm<{ tokenAdvantages: Tensor }> {
  return {
    name: 'grpo',
    samplesPerPrompt: config.groupSize,
    needsValues: false,
    epochs: config.epochs,
    minibatchSize: config.minibatchSize,
    // A per-response mean (GRPO) and a sum over a constant (Dr. GRPO) are means over rows.
    weighting: config.lossAggregation === 'token-mean' ? 'tokens' : 'rows',
    aggregate: (perToken, m, context) =>
      aggregateTokenLosses(perToken, m, config.lossAggregation, context.maxNewTokens),
    // 1–2. Group-relative advantages on every response token.
    advantages: (context) => ({
      tokenAdvantages: tidy(() => {
        const returns = context.scores.add(context.nonScore.sum(1));
        return groupRelativeAdvantages(returns, config.groupSize, config.scaleRewards)
          .unsqueeze(1)
          .mul(context.rollout.responseMask);
      }),
    }),
    // 3. The token-level clipped ratio, aggregated as lossAggregation says.
    loss: ({ tokenAdvantages }, now, micro, context) =>
      clippedTokenLoss(tokenAdvantages, now, micro, context, config.clip, config.lossAggregation),
  };
}
