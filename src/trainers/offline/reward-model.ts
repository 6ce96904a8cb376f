/**
 * Reward-model training on preference pairs with the Bradley-Terry loss: chosen and rejected go
 * through the model in one concatenated batch; held-out accuracy is logged at each evaluation.
 */
import type { PreferenceExample } from '../../data/index.ts';
import type { ProcessGroup } from '../../distributed/index.ts';
import { bradleyTerryLoss } from '../../losses/index.ts';
import { noGrad, type Tensor } from '../../tensor/index.ts';
import { checkLimits, collatePairs, type EncodedPair, encodePairs, meanOverBatches } from './batching.ts';
import type { RewardModelConfig } from './config.ts';
import type { RewardModel, TextTokenizer } from './lm.ts';
import { trainOffline } from './loop.ts';

export interface RewardModelRun {
  config: RewardModelConfig;
  model: RewardModel;
  tokenizer: TextTokenizer;
  train: PreferenceExample[];
  eval: PreferenceExample[];
  name?: string;
  log?: (msg: string) => void;
  onStep?: (step: number, metrics: Record<string, number>) => void;
  /** Data-parallel ranks sharing the run (default: this process alone). */
  group?: ProcessGroup;
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
  return trainOffline({
    config: c,
    kind: 'rm',
    name: run.name ?? 'reward-model',
    labels: { algorithm: 'bradley-terry' },
    model: run.model,
    datasetSize: trainSet.length,
    log: run.log,
    onStep: run.onStep,
    group: run.group,
    microStep: (indices) => step(indices),
    evaluate: evalSet.length
      ? (dp) =>
          noGrad(() =>
            // Each held-out batch runs once for both metrics.
            meanOverBatches(
              evalSet.length,
              c.batchSize,
              c.evalBatches,
              (indices) => {
                const { loss, metrics } = step(indices, evalSet);
                return { 'eval/loss': loss.item(), 'eval/accuracy': metrics.accuracy! };
              },
              { dp },
            ),
          )
      : undefined,
  });
}
