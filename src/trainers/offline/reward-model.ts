/**
 * Reward-model training on preference pairs with the Bradley-Terry loss: chosen and rejected go
 * through the model in one concatenated batch; held-out accuracy is logged at each evaluation.
 */
import type { PreferenceExample } from '../../data/index.ts';
import { bradleyTerryLoss } from '../../losses/index.ts';
import { type Tensor, noGrad } from '../../tensor/index.ts';
import type { CursorState } from '../common/data-order.ts';
import { TrainingSession } from '../common/session.ts';
import { type TokenizedExample, checkLimits, collate, tokenizeExample } from './batching.ts';
import type { RewardModelConfig } from './config.ts';
import type { RewardModel, TextTokenizer } from './lm.ts';
import { makeOptimizer, runOfflineLoop } from './loop.ts';
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
  const params = r.model.parameters();
  const optimizer = makeOptimizer(params, c.optim);
  const session = await TrainingSession.start<{ cursor: CursorState }>({
    runDir: c.out,
    name: r.name ?? 'reward-model',
    kind: 'rm',
    config: c,
    params,
    optimizer,
    rngs: {},
    labels: { algorithm: 'bradley-terry', lr: c.optim.lr, seed: c.seed },
    checkpointEvery: c.checkpointEvery,
    keepCheckpoints: c.keepCheckpoints,
    resume: 'auto',
    nonFinite: c.nonFinite,
    log: r.log,
  });
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
  try {
    await runOfflineLoop({
      session,
      optimizer,
      optim: c.optim,
      datasetSize: trainSet.length,
      seed: c.seed,
      steps: c.steps,
      batchSize: c.batchSize,
      gradAccum: c.gradAccum,
      evalEvery: c.evalEvery,
      onStep: r.onStep,
      microStep: (idx) => step(idx),
      evaluate: evalSet.length
        ? () =>
            noGrad(() => ({
              'eval/loss': meanOverBatches(evalSet.length, c.batchSize, c.evalBatches, (idx) =>
                step(idx, evalSet).loss.item(),
              ),
              'eval/accuracy': meanOverBatches(
                evalSet.length,
                c.batchSize,
                c.evalBatches,
                (idx) => step(idx, evalSet).metrics.accuracy,
              ),
            }))
        : undefined,
    });
    await r.model.save(session.run.modelDir);
    session.finish();
  } catch (e) {
    session.fail(e);
    throw e;
  } finally {
    optimizer.dispose();
  }
  return session.run.dir;
}
