/**
 * REINFORCE++ (Hu 2025, "REINFORCE++: A Simple and Efficient Approach for Aligning Large Language
 * Models"; as OpenRLHF runs it), with or without its group baseline. From one rollout of π_{t−1}:
 *   1. per-token rewards: the reward-placed regularizers on every token (REINFORCE++ keeps its KL
 *      per token in the reward), the sequence score on the last one — with `baseline: group-mean`
 *      (REINFORCE++-baseline) that score minus the mean score of its prompt's samples;
 *   2. discounted returns G_t, normalised over every response token of the whole batch: the
 *      advantage (no critic, no per-prompt std);
 *   3. `epochs` passes over shuffled minibatches of rows: rescore them and take one optimizer step on
 *      the token-level clipped ratio (PPO's surrogate) + the loss-placed regularizers.
 * The losses are pure functions of src/losses, each citing its equation.
 */
import { ppoPolicyLoss, reinforcePlusPlusAdvantages } from '../../../losses/index.ts';
import { clippedPolicyMetrics, shuffledMinibatches } from '../chunks.ts';
import type { ReinforcePlusPlusConfig } from '../config.ts';
import { regularizerLoss } from '../regularizers.ts';
import type { LearnContext, OnlineAlgorithm } from '../types.ts';

export function reinforcePlusPlus(config: ReinforcePlusPlusConfig): OnlineAlgorithm {
  if (config.baseline === 'group-mean' && config.samplesPerPrompt < 2)
    throw new Error('reinforcePlusPlus.baseline "group-mean" needs samplesPerPrompt >= 2');
  return {
    name: 'reinforce++',
    samplesPerPrompt: config.samplesPerPrompt,
    needsValues: false,
    learn: (context) => learn(config, context),
  };
}

function learn(config: ReinforcePlusPlusConfig, context: LearnContext): Record<string, number>[] {
  const { rollout, oldLogps, refLogps } = context;
  const mask = rollout.responseMask;

  // 1–2. Token rewards, their returns, whitened over the batch; fixed for every epoch.
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

  // 3. Clipped-ratio epochs over minibatches of rows (token-level means: token-weighted micro-batches).
  const batchSize = mask.dim(0);
  const logged: Record<string, number>[] = [];
  for (const rows of shuffledMinibatches(batchSize, config.epochs, config.minibatchSize, context.gen)) {
    const { metrics } = context.update(rows, ({ rollout: micro, take }) => {
      const now = context.policy.score(micro, { temperature: context.temperature });
      const m = micro.responseMask;
      const policy = ppoPolicyLoss(now.logps, take(oldLogps), take(advantages), m, config.clip);
      const regularizer = regularizerLoss(
        context.regularizers,
        now.logps,
        now.entropy,
        refLogps && take(refLogps),
        m,
      );
      return {
        loss: policy.loss.add(regularizer),
        metrics: clippedPolicyMetrics(policy),
      };
    });
    logged.push(metrics);
    rows.dispose();
  }
  advantages.dispose();
  return logged;
}
