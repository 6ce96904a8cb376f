/**
 * RLOO (Ahmadian et al. 2024, "Back to Basics") and REINFORCE with a batch-mean baseline. From one
 * rollout of π_{t−1}, k samples per prompt (REINFORCE: one):
 *   1. each sample's return: its score plus its summed regularizer rewards;
 *   2. its advantage: the return minus the mean return of the other k−1 samples of the same prompt
 *      (REINFORCE: minus the batch mean), optionally whitened, put on every response token;
 *   3. its loss, on each minibatch of the clipped epochs (update.ts): the clipped ratio with that
 *      advantage (REINFORCE itself on the first minibatch, where the ratio is 1). The ratio is per
 *      token (`ratio: token`), or one per response as TRL's RLOO trainer has it (`ratio:
 *      sequence`; the loss-placed regularizers are then per-response means too, and the whole loss
 *      a mean over rows).
 * The losses are pure functions of src/losses, each citing its equation.
 */
import {
  aggregateTokenLosses,
  maskedWhiten,
  rlooAdvantages,
  sequencePolicyLoss,
} from '../../../losses/index.ts';
import { onesLike, type Tensor, tidy } from '../../../tensor/index.ts';
import type { RlooConfig } from '../config.ts';
import type { OnlineAlgorithm } from '../types.ts';
import { clippedPolicyMetrics, clippedTokenLoss } from '../update.ts';

type Advantages = { sequenceAdvantages: Tensor; tokenAdvantages: Tensor };

export function rloo(config: RlooConfig): OnlineAlgorithm<Advantages> {
  if (config.k < 2) throw new Error(`rloo.k must be >= 2, got ${config.k}`);
  return baselinedPolicyGradient('rloo', config.k, config, (returns) => rlooAdvantages(returns, config.k));
}

export function reinforce(config: Omit<RlooConfig, 'k'>): OnlineAlgorithm<Advantages> {
  return baselinedPolicyGradient('reinforce', 1, config, (returns) => returns.sub(returns.mean()));
}

/** RLOO and REINFORCE: one advantage per response, its return minus a baseline. */
function baselinedPolicyGradient(
  name: 'rloo' | 'reinforce',
  samplesPerPrompt: number,
  config: Omit<RlooConfig, 'k'>,
  baselined: (returns: Tensor) => Tensor,
): OnlineAlgorithm<Advantages> {
  const perSequence = config.ratio === 'sequence';
  return {
    name,
    samplesPerPrompt,
    needsValues: false,
    epochs: config.epochs,
    minibatchSize: config.minibatchSize,
    // A per-response loss is a mean over rows: micro-batches are weighted by their rows.
    weighting: perSequence ? 'rows' : 'tokens',
    // Per-response loss-placed regularizers beside a per-response ratio; else the default token mean.
    aggregate: perSequence ? (x, m) => aggregateTokenLosses(x, m, 'sequence-mean') : undefined,
    // 1–2. Sequence returns and their advantages, then put on every response token.
    advantages: (context) => {
      const sequenceAdvantages = tidy(() => {
        const advantages = baselined(context.scores.add(context.nonScore.sum(1)));
        return config.whitenAdvantages && advantages.dim(0) > 1
          ? maskedWhiten(advantages, onesLike(advantages))
          : advantages;
      });
      const tokenAdvantages = tidy(() => sequenceAdvantages.unsqueeze(1).mul(context.rollout.responseMask));
      return { sequenceAdvantages, tokenAdvantages };
    },
    // 3. The clipped ratio, per token or per response.
    loss: ({ sequenceAdvantages, tokenAdvantages }, now, micro, context) => {
      if (!perSequence) return clippedTokenLoss(tokenAdvantages, now, micro, context, config.clip);
      const { rollout, take } = micro;
      const policy = sequencePolicyLoss(
        now.logps,
        take(context.oldLogps),
        take(sequenceAdvantages),
        rollout.responseMask,
        config.clip,
      );
      return { loss: policy.loss, metrics: clippedPolicyMetrics(policy) };
    },
  };
}
