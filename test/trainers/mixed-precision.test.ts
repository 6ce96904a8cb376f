/**
 * bfloat16 mixed precision (DeepSpeed / Accelerate bf16): the model computes in bf16, AdamW steps
 * float32 master weights with float32 moments, gradients of micro-batches accumulate in float32,
 * and the bf16 weights are the masters rounded. Checked on MasterWeights directly (an accumulation
 * a bf16 gradient would lose), and on SFT runs: every single update is below half a bf16 ulp of the
 * layer-norm weights (pure bf16 AdamW would never move them) yet they move; checkpoints hold float32
 * masters and moments; the losses track a float32 run; an interrupted run resumes bit for bit.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTensors } from '../../src/io/tensor-io.ts';
import { loadCausalLM } from '../../src/models/checkpoint/load-model.ts';
import { Tokenizer } from '../../src/models/tokenizer/index.ts';
import { MasterWeights, tensor, tidy } from '../../src/tensor/index.ts';
import { SftConfigSchema } from '../../src/trainers/offline/config.ts';
import { trainSft } from '../../src/trainers/offline/sft.ts';
import { quietLog, readMetrics, tempDirs, toySft, writeToyModel } from './fixtures/toy-task.ts';

const tmp = tempDirs('bf16');
let base = '';
beforeAll(async () => {
  base = await writeToyModel(tmp.make('base'), { seed: 5 });
});
afterAll(() => tmp.cleanup());

describe('MasterWeights', () => {
  it('accumulates bf16 gradients in float32 and rounds the masters into the model', () => {
    const p = tensor([1, 1, 1], { dtype: 'bfloat16' }).requiresGrad_();
    const mw = new MasterWeights([p]);
    expect(mw.active).toBe(true);
    expect(mw.masters[0]!.dtype).toBe('float32');
    // Gradients 1, 2⁻⁹, 2⁻⁹: in bf16 (8 significant bits) 1 + 2⁻⁹ rounds back to 1; float32 keeps 1 + 2⁻⁸.
    for (const c of [1, 2 ** -9, 2 ** -9]) {
      tidy(() => p.mul(c).sum().backward());
      mw.foldGradients();
      expect(p.grad).toBeNull();
    }
    expect(tidy(() => mw.masters[0]!.grad!.toArray())).toEqual([1 + 2 ** -8, 1 + 2 ** -8, 1 + 2 ** -8]);
    tidy(() => mw.masters[0]!.copy_(tensor([1.001, 1.003, 1.01])));
    mw.syncToModel();
    // bf16 spacing at 1 is 2⁻⁷ = 0.0078125: round to nearest.
    expect(p.toArray()).toEqual([1, 1, 1.0078125]);
    mw.dispose();
    // Float32 parameters are their own masters.
    const q = tensor([1]).requiresGrad_();
    expect(new MasterWeights([q]).masters[0]).toBe(q);
  });
});

describe('SFT in bfloat16', () => {
  async function sft(
    name: string,
    o: Record<string, unknown>,
    dtype: 'float32' | 'bfloat16',
    out = tmp.make(name),
  ) {
    const model = await loadCausalLM(base, { trainable: true, dtype });
    await trainSft({
      config: SftConfigSchema.parse({
        model: base,
        out,
        data: { train: 'in-memory' },
        maxPromptTokens: 8,
        maxTotalTokens: 16,
        steps: 12,
        batchSize: 8,
        evalEvery: 0,
        checkpointEvery: 0,
        // 1e-3 < half a bf16 ulp at 1 (2⁻⁸ ≈ 0.0039): a bf16 weight of 1 stepped alone never moves.
        optim: { lr: 1e-3, schedule: 'constant' },
        seed: 7,
        dtype,
        ...o,
      }),
      model,
      tokenizer: await Tokenizer.fromFolder(base),
      train: toySft('train'),
      eval: [],
      log: quietLog,
    });
    model.dispose();
    return out;
  }

  it('moves weights by updates smaller than their bf16 resolution, and checkpoints float32 masters', async () => {
    const out = await sft('bf16', {}, 'bfloat16');
    const trained = await loadCausalLM(join(out, 'model'), { dtype: 'bfloat16' });
    const ln = trained.parameters().get('gpt_neox.layers.0.input_layernorm.weight')!.toArray();
    trained.dispose();
    expect(ln.some((w) => Math.abs(w - 1) >= 2 ** -7 - 1e-9)).toBe(true);
    const [step] = readdir(join(out, 'checkpoints'));
    const { tensors } = await loadTensors(join(out, 'checkpoints', step!, 'tensors.safetensors'));
    const master = tensors.get('model.gpt_neox.layers.0.input_layernorm.weight')!;
    expect(master.dtype).toBe('float32');
    expect(tensors.get('optim.exp_avg.0')!.dtype).toBe('float32');
    // The saved bf16 weights are the masters rounded to bf16.
    expect(tidy(() => master.to('bfloat16').toArray())).toEqual(ln);
    expect(master.toArray()).not.toEqual(ln);
  });

  it('tracks the float32 run and resumes bit for bit', async () => {
    const f32 = readMetrics(await sft('f32', {}, 'float32')).map((r) => r.loss!);
    const whole = await sft('whole', {}, 'bfloat16');
    const bf16 = readMetrics(whole).map((r) => r.loss!);
    for (const [i, l] of f32.entries())
      expect(Math.abs(bf16[i]! - l) / l, `step ${i + 1}`).toBeLessThan(0.03);
    const resumed = tmp.make('resumed');
    await sft('resumed', { steps: 5 }, 'bfloat16', resumed);
    await sft('resumed', {}, 'bfloat16', resumed);
    expect(readMetrics(resumed).map((r) => r.loss)).toEqual(bf16);
    expect(readFileSync(join(resumed, 'model', 'model.safetensors'))).toEqual(
      readFileSync(join(whole, 'model', 'model.safetensors')),
    );
  });
});

function readdir(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.startsWith('step-'));
}
