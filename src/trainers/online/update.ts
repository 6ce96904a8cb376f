/**
 * Step 3 of the online loop, one skeleton for PPO, RLOO, GRPO and REINFORCE++ (and REINFORCE):
 *   a. the algorithm's advantage estimator, once per rollout (fixed for every epoch);
 *   b. `epochs` passes over the rollout's rows, each a fresh permutation split into minibatches;
 *   c. per minibatch one optimizer step (gradient-accumulated over micro-batches by `update`) on
 *      the algorithm's loss under the current policy + the loss-placed regularizers, aggregated over
 *      tokens as the algorithm's policy loss is.
 * An algorithm is thus its estimator and its loss (algorithms/*.ts); how rows are split over
 * micro-batches and data-parallel ranks is the trainer's `update`, not the algorithm's concern.
 */
import { type LossAggregation, maskedMean, ppoPolicyLoss } from '../../losses/index.ts';
import { dispose, type Generator, randperm, type Tensor } from '../../tensor/index.ts';
import type { PartLoss } from '../common/accumulate.ts';
import { regularizerLoss } from './regularizers.ts';
import type { LearnContext, MicroBatch, OnlineAlgorithm, TokenScores } from './types.ts';

/**
 * Learns from one rollout: the algorithm's advantages, then its clipped epochs. Returns the metrics
 * of each minibatch update (TRL names), which the trainer averages.
 */
export function clippedEpochs<A extends Record<string, Tensor>>(
  algorithm: OnlineAlgorithm<A>,
  context: LearnContext,
): Record<string, number>[] {
  // a. Advantages (and whatever else the loss needs per row), fixed for every epoch.
  const advantages = algorithm.advantages(context);
  // b–c. Minibatch updates.
  const rows = context.rollout.responseMask.dim(0);
  const logged: Record<string, number>[] = [];
  for (const minibatch of shuffledMinibatches(rows, algorithm.epochs, algorithm.minibatchSize, context.gen)) {
    const { metrics } = context.update(
      minibatch,
      (micro) => microBatchLoss(algorithm, advantages, micro, context),
      algorithm.weighting,
    );
    logged.push(metrics);
    minibatch.dispose();
  }
  dispose(Object.values(advantages));
  return logged;
}

/** One micro-batch's loss: rescored under the current policy, the algorithm's loss + the regularizers. */
function microBatchLoss<A extends Record<string, Tensor>>(
  algorithm: OnlineAlgorithm<A>,
  advantages: A,
  micro: MicroBatch,
  context: LearnContext,
): PartLoss {
  const { temperature, refLogps } = context;
  // Values from the policy's head only when the algorithm needs them and no separate critic has them.
  const now: TokenScores = context.policy.score(
    micro.rollout,
    algorithm.needsValues ? { temperature, values: context.critic === null } : { temperature },
  );
  const { loss, metrics } = algorithm.loss(advantages, now, micro, context);
  const regularizer = regularizerLoss(
    context.regularizers,
    now.logps,
    now.entropy,
    refLogps && micro.take(refLogps),
    micro.rollout.responseMask,
    algorithm.aggregate ? (perToken, mask) => algorithm.aggregate!(perToken, mask, context) : maskedMean,
  );
  return { loss: loss.add(regularizer), metrics };
}

/**
 * The minibatches of an update phase: `epochs` passes over the rollout's `rows`, each a fresh
 * permutation drawn from `gen` as its pass starts, split into minibatches of `minibatchSize` rows
 * (the last one smaller). Each [n] int64 tensor is the caller's to dispose.
 */
export function* shuffledMinibatches(
  rows: number,
  epochs: number,
  minibatchSize: number,
  gen: Generator,
): IterableIterator<Tensor> {
  for (let epoch = 0; epoch < epochs; epoch++)
    yield* randperm(rows, gen).split(Math.min(minibatchSize, rows));
}

/** The clipped surrogate's metrics under TRL's names, as each algorithm logs them per minibatch. */
export function clippedPolicyMetrics(policy: {
  loss: Tensor;
  approxKl: Tensor;
  clipfrac: Tensor;
}): Record<string, number> {
  return {
    'loss/policy_avg': policy.loss.item(),
    'policy/approxkl_avg': policy.approxKl.item(),
    'policy/clipfrac_avg': policy.clipfrac.item(),
  };
}

/**
 * Step 3 of GRPO, REINFORCE++ and token-level RLOO: the clipped ratio of the current policy to the
 * sampling policy on one micro-batch, weighted by the rows' token `advantages` (the whole rollout's,
 * [B, R]), aggregated over tokens as `aggregation` says, with its metrics.
 */
export function clippedTokenLoss(
  advantages: Tensor,
  now: TokenScores,
  micro: MicroBatch,
  context: LearnContext,
  clip: number,
  aggregation?: LossAggregation,
): PartLoss {
  const policy = ppoPolicyLoss(
    now.logps,
    micro.take(context.oldLogps),
    micro.take(advantages),
    micro.rollout.responseMask,
    clip,
    aggregation,
    context.maxNewTokens,
  );
  return { loss: policy.loss, metrics: clippedPolicyMetrics(policy) };
}
