/**
 * trainSft on a tiny GPT-NeoX: the loss is the mean cross-entropy over completion tokens only
 * (checked against a float64 computation here on a fixed batch), it falls on a learnable task, the
 * held-out loss is logged (and equals the same independent computation on the final model), and the
 * final snapshot is an HF GPTNeoXForCausalLM folder that loadCausalLM reads back.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SftExample } from '../../src/data/index.ts';
import { loadCausalLM } from '../../src/models/checkpoint/load-model.ts';
import { Tokenizer } from '../../src/models/tokenizer/index.ts';
import { noGrad, tensor } from '../../src/tensor/index.ts';
import { SftConfigSchema } from '../../src/trainers/offline/config.ts';
import { trainSft } from '../../src/trainers/offline/sft.ts';
import {
  EOS_ID,
  firstLast,
  idsOf,
  type LogitsModel,
  quietLog,
  readMetrics,
  safetensorsNames,
  tempDirs,
  tokenLogps64,
  toySft,
  writeToyModel,
} from './fixtures/toy-task.ts';

const tmp = tempDirs('sft');
afterAll(() => tmp.cleanup());

/** Token-weighted mean NLL (float64) over completion + EOS only, or over every predicted token. */
function manualLoss(model: LogitsModel, rows: SftExample[], over: 'completion' | 'all'): number {
  let total = 0;
  let count = 0;
  for (const r of rows) {
    const p = idsOf(r.prompt);
    const c = [...idsOf(r.completion), EOS_ID];
    const lp =
      over === 'completion'
        ? tokenLogps64(model, p, c)
        : tokenLogps64(model, p.slice(0, 1), [...p.slice(1), ...c]);
    total -= lp.reduce((s, x) => s + x, 0);
    count += lp.length;
  }
  return total / count;
}

function config(base: string, out: string, o: Record<string, unknown>) {
  return SftConfigSchema.parse({
    model: base,
    out,
    data: { train: 'in-memory' },
    maxPromptTokens: 8,
    maxTotalTokens: 16,
    checkpointEvery: 0,
    seed: 2,
    ...o,
  });
}

describe('SFT', () => {
  it('the loss is the cross-entropy of the completion tokens only (fixed batch, step 1)', async () => {
    // Wide random weights: far-from-uniform logits, so prompt tokens would change the value.
    const base = await writeToyModel(tmp.make('wide'), { seed: 21, wide: true });
    // Prompts of 2 and 3 words, so padding and the prompt/completion boundary vary in the batch.
    const rows = toySft('train');
    const ref = await loadCausalLM(base);
    const completionOnly = manualLoss(ref, rows, 'completion');
    const allTokens = manualLoss(ref, rows, 'all');
    ref.dispose();
    expect(Math.abs(completionOnly - allTokens)).toBeGreaterThan(0.1);

    const out = tmp.make('fixed');
    const model = await loadCausalLM(base, { trainable: true });
    // One step on one batch holding every example: the logged loss is the pre-update loss of the
    // whole set, independent of the data order.
    await trainSft({
      config: config(base, out, { steps: 1, batchSize: rows.length, evalEvery: 0 }),
      model,
      tokenizer: await Tokenizer.fromFolder(base),
      train: rows,
      eval: [],
      log: quietLog,
    });
    model.dispose();
    const [s1] = readMetrics(out);
    expect(s1!.step).toBe(1);
    expect(Math.abs(s1!.loss! - completionOnly)).toBeLessThan(1e-4);
  });

  it('learns the toy rule: loss falls, eval loss is logged and falls, the snapshot loads', async () => {
    const base = await writeToyModel(tmp.make('base'), { seed: 22 });
    const train = toySft('train');
    const heldOut = toySft('eval'); // 8 examples = one eval batch
    const start = await loadCausalLM(base);
    const startEval = manualLoss(start, heldOut, 'completion');
    start.dispose();

    const out = tmp.make('learn');
    const model = await loadCausalLM(base, { trainable: true });
    const steps = 40;
    await trainSft({
      config: config(base, out, {
        steps,
        batchSize: 8,
        evalEvery: 10,
        optim: { lr: 3e-3, schedule: 'constant' },
      }),
      model,
      tokenizer: await Tokenizer.fromFolder(base),
      train,
      eval: heldOut,
      log: quietLog,
    });

    const rows = readMetrics(out);
    expect(rows.map((r) => r.step)).toEqual(Array.from({ length: steps }, (_, i) => i + 1));
    const l = firstLast(rows, 'loss', 5);
    expect(l.last).toBeLessThan(0.5 * l.first);
    const evals = rows.filter((r) => 'eval/loss' in r);
    expect(evals.map((r) => r.step)).toEqual([10, 20, 30, 40]);
    expect(evals.at(-1)!['eval/loss']).toBeLessThan(evals[0]!['eval/loss']!);

    // The final snapshot: HF class and tensor names, tokenizer, and the trained weights.
    const dir = join(out, 'model');
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(cfg.architectures).toEqual(['GPTNeoXForCausalLM']);
    expect(cfg.model_type).toBe('gpt_neox');
    expect(existsSync(join(dir, 'tokenizer.json'))).toBe(true);
    const names = safetensorsNames(join(dir, 'model.safetensors'));
    for (const n of [
      'gpt_neox.embed_in.weight',
      'gpt_neox.layers.0.attention.query_key_value.weight',
      'gpt_neox.layers.0.mlp.dense_h_to_4h.weight',
      'gpt_neox.final_layer_norm.weight',
      'embed_out.weight',
    ])
      expect(names).toContain(n);
    const loaded = await loadCausalLM(dir);
    const ids = tensor([idsOf('n0 n1 k3 v0')], { dtype: 'int64' });
    const mask = tensor([[1, 1, 1, 1]]);
    const a = noGrad(() => model.logits(ids, mask).toArray());
    const b = noGrad(() => loaded.logits(ids, mask).toArray());
    expect(Math.max(...a.map((x, i) => Math.abs(x - b[i]!)))).toBeLessThan(1e-6);

    // The logged final eval loss is the completion-only loss of the final model on the held-out set.
    const finalEval = manualLoss(loaded, heldOut, 'completion');
    expect(Math.abs(evals.at(-1)!['eval/loss']! - finalEval)).toBeLessThan(1e-4);
    expect(finalEval).toBeLessThan(0.5 * startEval);
    loaded.dispose();
    model.dispose();
  });
});
