/**
 * RLOO (Ahmadian et al. 2024, "Back to Basics") and REINFORCE with a batch-mean baseline. From one
 * rollout of π_{t−1}, k samples per prompt (REINFORCE: one):
 *   1. each sample's return: its score plus its summed regularizer rewards;
 *   2. its advantage: the return minus the mean return of the other k−1 samples of the same prompt
 *      (REINFORCE: minus the batch mean), optionally whitened, put on every response token;
 *   3. `epochs` passes over shuffled minibatches of rows: rescore them and take one optimizer step on
 *      the clipped ratio with that advantage (REINFORCE itself on the first minibatch, where the
 *      ratio is 1) + the loss-placed regularizers. The ratio is per token (`ratio: token`), or one
 *      per response as TRL's RLOO trainer has it (`ratio: sequence`).
 * The losses are pure functions of src/losses, each citing its equation.
 */
import {
  aggregateTokenLosses,
  maskedMean,
  maskedWhiten,
  ppoPolicyLoss,
  rlooAdvantages,
  sequencePolicyLoss,
} from '../../../losses/index.ts';
import { onesLike, type Tensor, tidy } from '../../../tensor/index.ts';
import { clippedPolicyMetrics, shuffledMinibatches } from '../chunks.ts';
import type { RlooConfig } from '../config.ts';
import { regularizerLoss } from '../regularizers.ts';
import type { LearnContext, OnlineAlgorithm } from '../types.ts';

export function rloo(config: RlooConfig): OnlineAlgorithm {
  if (config.k < 2) throw new Error(`rloo.k must be >= 2, got ${config.k}`);
  return {
    name: 'rloo',
    samplesPerPrompt: config.k,
    needsValues: false,
    learn: (context) => learn(config, context, (returns) => rlooAdvantages(returns, config.k)),
  };
}

export function reinforce(config: Omit<RlooConfig, 'k'>): OnlineAlgorithm {
  return {
    name: 'reinforce',
    samplesPerPrompt: 1,
    needsValues: false,
    learn: (context) => learn(config, context, (returns) => returns.sub(returns.mean())),
  };
}

function learn(
  config: Omit<RlooConfig, 'k'>,
  context: LearnContext,
  baselined: (returns: Tensor) => Tensor,
): Record<string, number>[] {
  const { rollout, oldLogps, refLogps } = context;
  const mask = rollout.responseMask;

  // 1–2. Sequence returns and their advantages, fixed for every epoch.
  const sequenceAdvantages = tidy(() => {
    const advantages = baselined(context.scores.add(context.nonScore.sum(1)));
    return config.whitenAdvantages && advantages.dim(0) > 1
      ? maskedWhiten(advantages, onesLike(advantages))
      : advantages;
  });
  const tokenAdvantages = tidy(() => sequenceAdvantages.unsqueeze(1).mul(mask));

  // 3. Clipped-ratio epochs over minibatches of rows. With one ratio per response the loss-placed
  // regularizers are per-response means too, so the whole loss is a mean over rows.
  const perSequence = config.ratio === 'sequence';
  const perResponseMean = (x: Tensor, m: Tensor) => aggregateTokenLosses(x, m, 'sequence-mean');
  const batchSize = mask.dim(0);
  const logged: Record<string, number>[] = [];
  for (const rows of shuffledMinibatches(batchSize, config.epochs, config.minibatchSize, context.gen)) {
    const { metrics } = context.update(
      rows,
      ({ rollout: micro, take }) => {
        const now = context.policy.score(micro, { temperature: context.temperature });
        const m = micro.responseMask;
        const policy = perSequence
          ? sequencePolicyLoss(now.logps, take(oldLogps), take(sequenceAdvantages), m, config.clip)
          : ppoPolicyLoss(now.logps, take(oldLogps), take(tokenAdvantages), m, config.clip);
        const regularizer = regularizerLoss(
          context.regularizers,
          now.logps,
          now.entropy,
          refLogps && take(refLogps),
          m,
          perSequence ? perResponseMean : maskedMean,
        );
        return {
          loss: policy.loss.add(regularizer),
          metrics: clippedPolicyMetrics(policy),
        };
      },
      // A per-response loss is a mean over rows: micro-batches are weighted by their rows.
      perSequence ? 'rows' : 'tokens',
    );
    logged.push(metrics);
    rows.dispose();
  }
  sequenceAdvantages.dispose();
  tokenAdvantages.dispose();
  return logged;
}
