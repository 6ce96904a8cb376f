/**
 * Reward-model training on preference pairs with the Bradley-Terry loss: chosen and rejected go
 * through the model in one concatenated batch; held-out accuracy is logged at each evaluation.
 */
import type { PreferenceExample } from '../../data/index.ts';
import { bradleyTerryLoss } from '../../losses/index.ts';
import { noGrad, type Tensor } from '../../tensor/index.ts';
import { checkLimits, collate, type TokenizedExample, tokenizeExample } from './batching.ts';
import type { RewardModelConfig } from './config.ts';
import type { RewardModel, TextTokenizer } from './lm.ts';
import { trainOffline } from './loop.ts';
import { meanOverBatches } from './sft.ts';

export interface RewardModelRun {
  config: RewardModelConfig;
  model: RewardModel;
  tokenizer: TextTokenizer;
  train: PreferenceExample[];
  eval: PreferenceExample[];
  name?: string;
  log?: (msg: string) => void;
  onStep?: (step: number, metrics: Record<string, number>) => void;
}

export interface EncodedPair {
  chosen: TokenizedExample;
  rejected: TokenizedExample;
}

export function encodePairs(
  tok: TextTokenizer,
  rows: PreferenceExample[],
  limits: { maxPromptTokens: number; maxTotalTokens: number },
): EncodedPair[] {
  return rows.map((e) => ({
    chosen: tokenizeExample(tok, e.prompt, e.chosen, limits),
    rejected: tokenizeExample(tok, e.prompt, e.rejected, limits),
  }));
}

/** Rewards of chosen and rejected ([B] each) from one concatenated forward pass. */
export function pairRewards(
  model: RewardModel,
  pairs: EncodedPair[],
  padId: number,
): { chosen: Tensor; rejected: Tensor } {
  const batch = collate([...pairs.map((p) => p.chosen), ...pairs.map((p) => p.rejected)], padId);
  const [chosen, rejected] = model.rewards(batch.ids, batch.attentionMask).chunk(2) as [Tensor, Tensor];
  return { chosen, rejected };
}

export async function trainRewardModel(r: RewardModelRun): Promise<string> {
  const c = r.config;
  checkLimits(c);
  const trainSet = encodePairs(r.tokenizer, r.train, c);
  const evalSet = encodePairs(r.tokenizer, r.eval, c);
  const step = (idx: number[], set = trainSet) => {
    const { chosen, rejected } = pairRewards(
      r.model,
      idx.map((i) => set[i]!),
      r.tokenizer.padId,
    );
    const out = bradleyTerryLoss(chosen, rejected, c.centerRewardsCoef);
    return {
      loss: out.loss,
      metrics: { accuracy: out.accuracy.item(), 'rewards/mean': chosen.add(rejected).mean().item() / 2 },
    };
  };
  const heldOut = (f: (idx: number[]) => number) =>
    meanOverBatches(evalSet.length, c.batchSize, c.evalBatches, f);
  return trainOffline({
    config: c,
    kind: 'rm',
    name: r.name ?? 'reward-model',
    labels: { algorithm: 'bradley-terry' },
    model: r.model,
    datasetSize: trainSet.length,
    log: r.log,
    onStep: r.onStep,
    microStep: (idx) => step(idx),
    evaluate: evalSet.length
      ? () =>
          noGrad(() => ({
            'eval/loss': heldOut((idx) => step(idx, evalSet).loss.item()),
            'eval/accuracy': heldOut((idx) => step(idx, evalSet).metrics.accuracy),
          }))
      : undefined,
  });
}
