/**
 * Supervised fine-tuning with a completion-only loss: mean next-token cross-entropy over the
 * completion tokens (the prompt conditions but is not trained on).
 */
import type { SftExample } from '../../data/index.ts';
import { maskedMean } from '../../losses/index.ts';
import { noGrad, tidy } from '../../tensor/index.ts';
import { checkLimits, collate, tokenizeExample } from './batching.ts';
import type { SftConfig } from './config.ts';
import type { CausalLM, TextTokenizer } from './lm.ts';
import { trainOffline } from './loop.ts';
import { tokenLogps } from './sequence-logps.ts';

export interface SftRun {
  config: SftConfig;
  model: CausalLM;
  tokenizer: TextTokenizer;
  train: SftExample[];
  eval: SftExample[];
  name?: string;
  log?: (msg: string) => void;
  onStep?: (step: number, metrics: Record<string, number>) => void;
}

export async function trainSft(r: SftRun): Promise<string> {
  const c = r.config;
  checkLimits(c);
  const encode = (e: SftExample) => tokenizeExample(r.tokenizer, e.prompt, e.completion, c);
  const trainSet = r.train.map(encode);
  const evalSet = r.eval.map(encode);
  const lossOf = (indices: number[], set = trainSet) => {
    const batch = collate(
      indices.map((i) => set[i]!),
      r.tokenizer.padId,
    );
    const logps = tokenLogps(r.model.logits(batch.ids, batch.attentionMask), batch);
    return maskedMean(logps.neg(), batch.lossMask.slice(1, 1));
  };
  return trainOffline({
    config: c,
    kind: 'sft',
    name: r.name ?? 'sft',
    labels: { algorithm: 'sft' },
    model: r.model,
    datasetSize: trainSet.length,
    log: r.log,
    onStep: r.onStep,
    microStep: (idx) => ({ loss: lossOf(idx), metrics: {} }),
    evaluate: evalSet.length
      ? () => ({
          'eval/loss': noGrad(() =>
            meanOverBatches(evalSet.length, c.batchSize, c.evalBatches, (idx) => lossOf(idx, evalSet).item()),
          ),
        })
      : undefined,
  });
}

/** Mean of fn over up to maxBatches consecutive batches of a held-out set. */
export function meanOverBatches(
  size: number,
  batchSize: number,
  maxBatches: number,
  fn: (idx: number[]) => number,
): number {
  let total = 0;
  let n = 0;
  for (let start = 0; start < size && n < maxBatches; start += batchSize, n++) {
    const idx = Array.from({ length: Math.min(batchSize, size - start) }, (_, i) => start + i);
    total += tidy(() => fn(idx));
  }
  return total / Math.max(1, n);
}
