/**
 * Reward-model training on preference pairs with the Bradley-Terry loss: chosen and rejected go
 * through the model in one concatenated batch; held-out accuracy is logged at each evaluation.
 */
import type { PreferenceExample } from '../../data/index.ts';
import { bradleyTerryLoss } from '../../losses/index.ts';
import type { Tensor } from '../../tensor/index.ts';
import { checkLimits, collatePairs, type EncodedPair, encodePairs } from './batching.ts';
import type { RewardModelConfig } from './config.ts';
import type { RewardModel, TextTokenizer } from './lm.ts';
import { type OfflineRunHooks, trainOffline } from './loop.ts';
import { type NormalizableRewardModel, normalizeRewardModel } from './reward-normalization.ts';

export interface RewardModelRun extends OfflineRunHooks {
  config: RewardModelConfig;
  model: RewardModel;
  tokenizer: TextTokenizer;
  train: PreferenceExample[];
  eval: PreferenceExample[];
  /**
   * (prompt, reference response) pairs to normalise the trained model's output on before it is
   * saved (config.normalize; the model must carry a rewardBias, as GPTNeoXRewardModel does).
   */
  normalizeOn?: { prompt: string; completion: string }[];
}

/** Rewards of chosen and rejected ([B] each) from one concatenated forward pass. */
export function pairRewards(
  model: RewardModel,
  pairs: EncodedPair[],
  padId: number,
): { chosen: Tensor; rejected: Tensor } {
  const batch = collatePairs(pairs, padId);
  const [chosen, rejected] = model.rewards(batch.ids, batch.attentionMask).chunk(2) as [Tensor, Tensor];
  return { chosen, rejected };
}

export async function trainRewardModel(run: RewardModelRun): Promise<string> {
  const c = run.config;
  checkLimits(c);
  const trainSet = encodePairs(run.tokenizer, run.train, c);
  const evalSet = encodePairs(run.tokenizer, run.eval, c);
  const step = (indices: number[], set = trainSet) => {
    const { chosen, rejected } = pairRewards(
      run.model,
      indices.map((i) => set[i]!),
      run.tokenizer.padId,
    );
    const out = bradleyTerryLoss(chosen, rejected, c.centerRewardsCoef);
    return {
      loss: out.loss,
      metrics: { accuracy: out.accuracy.item(), 'rewards/mean': chosen.add(rejected).mean().item() / 2 },
    };
  };
  const model = run.normalizeOn ? normalizedBeforeSave(run, run.normalizeOn) : run.model;
  return trainOffline({
    config: c,
    kind: 'rm',
    name: run.name ?? 'reward-model',
    labels: { algorithm: 'bradley-terry' },
    model,
    datasetSize: trainSet.length,
    log: run.log,
    onStep: run.onStep,
    group: run.group,
    microStep: (indices) => step(indices),
    evalSize: evalSet.length,
    // Each held-out batch runs once for both metrics.
    evalMetrics: (indices) => {
      const { loss, metrics } = step(indices, evalSet);
      return { 'eval/loss': loss.item(), 'eval/accuracy': metrics.accuracy! };
    },
  });
}

/** The run's model, whose save first measures and sets the normalisation bias (after the last step). */
function normalizedBeforeSave(
  run: RewardModelRun,
  pairs: { prompt: string; completion: string }[],
): RewardModel {
  const target = run.model as RewardModel & Partial<NormalizableRewardModel>;
  if (typeof target.rewardBias !== 'number')
    throw new Error('normalize: this reward model has no rewardBias to store the normalisation in');
  const c = run.config;
  return {
    rewards: (ids, mask) => target.rewards(ids, mask),
    parameters: () => target.parameters(),
    ...(target.rngs ? { rngs: () => target.rngs!() } : {}),
    save: async (dir) => {
      const m = normalizeRewardModel(target as NormalizableRewardModel, run.tokenizer, pairs, {
        maxPromptTokens: c.maxPromptTokens,
        maxTotalTokens: c.maxTotalTokens,
        batchSize: c.batchSize,
        source: c.normalize ? [c.normalize.data].flat().join(', ') : 'normalizeOn',
      });
      run.log?.(
        `reward normalisation: mean reward ${m.mean.toFixed(4)} (std ${m.std.toFixed(4)}) over ${m.count} reference responses is subtracted from every reward`,
      );
      await target.save(dir);
    },
  };
}
