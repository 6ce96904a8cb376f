/**
 * Supervised fine-tuning with a completion-only loss: mean next-token cross-entropy over the
 * completion tokens (the prompt conditions but is not trained on), token-weighted across
 * micro-batches and data-parallel ranks.
 */
import type { SftExample } from '../../data/index.ts';
import { maskedMean } from '../../losses/index.ts';
import { checkLimits, collate, type TokenizedExample, tokenizeExample } from './batching.ts';
import type { SftConfig } from './config.ts';
import type { CausalLM, TextTokenizer } from './lm.ts';
import { type OfflineRunHooks, trainOffline } from './loop.ts';
import { modelTokenLogps } from './sequence-logps.ts';

export interface SftRun extends OfflineRunHooks {
  config: SftConfig;
  model: CausalLM;
  tokenizer: TextTokenizer;
  train: SftExample[];
  eval: SftExample[];
}

/** Completion tokens the loss is taken on: positions ≥ 1 (the first token is never predicted) in the completion. */
function predictedTokens(e: TokenizedExample): number {
  return e.ids.length - Math.max(1, e.promptLength);
}

export async function trainSft(run: SftRun): Promise<string> {
  const c = run.config;
  checkLimits(c);
  const encode = (e: SftExample) => tokenizeExample(run.tokenizer, e.prompt, e.completion, c);
  const trainSet = run.train.map(encode);
  const evalSet = run.eval.map(encode);
  const lossOf = (indices: number[], set = trainSet) => {
    const batch = collate(
      indices.map((i) => set[i]!),
      run.tokenizer.padId,
    );
    const logps = modelTokenLogps(run.model, batch);
    return maskedMean(logps.neg(), batch.lossMask.slice(1, 1));
  };
  const tokensOf = (set: TokenizedExample[]) => (indices: number[]) =>
    indices.reduce((n, i) => n + predictedTokens(set[i]!), 0);
  return trainOffline({
    config: c,
    kind: 'sft',
    name: run.name ?? 'sft',
    labels: { algorithm: 'sft' },
    model: run.model,
    datasetSize: trainSet.length,
    log: run.log,
    onStep: run.onStep,
    group: run.group,
    microStep: (indices) => ({ loss: lossOf(indices), metrics: {} }),
    // The loss is a mean over completion tokens: shares and micro-batches weigh by their token counts.
    weightOf: tokensOf(trainSet),
    evalSize: evalSet.length,
    evalMetrics: (indices) => ({ 'eval/loss': lossOf(indices, evalSet).item() }),
    evalWeightOf: tokensOf(evalSet),
  });
}
