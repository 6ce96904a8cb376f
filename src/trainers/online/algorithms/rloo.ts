/**
 * RLOO (Ahmadian et al. 2024, "Back to Basics") and REINFORCE with a batch-mean baseline. From one
 * rollout of π_{t−1}, k samples per prompt (REINFORCE: one):
 *   1. each sample's return: its score plus its summed regularizer rewards;
 *   2. its advantage: the return minus the mean return of the other k−1 samples of the same prompt
 *      (REINFORCE: minus the batch mean), optionally whitened, put on every response token;
 *   3. `epochs` passes over shuffled minibatches of rows: rescore them and take one optimizer step on
 *      the token-level clipped ratio with that advantage (REINFORCE itself on the first minibatch,
 *      where the ratio is 1) + the loss-placed regularizers.
 * The losses are pure functions of src/losses, each citing its equation.
 */
import { maskedWhiten, ppoPolicyLoss, rlooAdvantages } from '../../../losses/index.ts';
import { onesLike, randperm, type Tensor, tidy } from '../../../tensor/index.ts';
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

  // 1–2. Sequence returns and their advantages on every response token, fixed for every epoch.
  const tokenAdvantages = tidy(() => {
    let advantages = baselined(context.scores.add(context.nonScore.sum(1)));
    if (config.whitenAdvantages && advantages.dim(0) > 1)
      advantages = maskedWhiten(advantages, onesLike(advantages));
    return advantages.unsqueeze(1).mul(mask);
  });

  // 3. Clipped-ratio epochs over minibatches of rows.
  const batchSize = mask.dim(0);
  const logged: Record<string, number>[] = [];
  for (let epoch = 0; epoch < config.epochs; epoch++) {
    for (const rows of randperm(batchSize, context.gen).split(Math.min(config.minibatchSize, batchSize))) {
      const { metrics } = context.update(rows, ({ rollout: micro, take }) => {
        const now = context.policy.score(micro, { temperature: context.temperature });
        const m = micro.responseMask;
        const policy = ppoPolicyLoss(now.logps, take(oldLogps), take(tokenAdvantages), m, config.clip);
        const regularizer = regularizerLoss(
          context.regularizers,
          now.logps,
          now.entropy,
          refLogps && take(refLogps),
          m,
        );
        return {
          loss: policy.loss.add(regularizer),
          metrics: {
            'loss/policy_avg': policy.loss.item(),
            'policy/approxkl_avg': policy.approxKl.item(),
            'policy/clipfrac_avg': policy.clipfrac.item(),
          },
        };
      });
      logged.push(metrics);
      rows.dispose();
    }
  }
  tokenAdvantages.dispose();
  return logged;
}
