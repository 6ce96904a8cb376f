/**
 * LoRA through the trainers: only the adapters train and are checkpointed (the base snapshot and
 * weights are untouched); the run saves PEFT's layout — adapter_config.json with PEFT's keys and
 * adapter_model.safetensors with PEFT's tensor names, written out by hand below — which loads back
 * as base + adapter and merges into a full snapshot equal to W + (α/r)·B·A; an interrupted run with
 * LoRA dropout resumes byte for byte; micro-batches change nothing but memory; the DPO and KL
 * reference is the policy with its adapters disabled (equal to the base snapshot's scores).
 */
import { appendFileSync, cpSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMergeCommand } from '../../src/cli/commands/model-tools.ts';
import { loadTensors } from '../../src/io/tensor-io.ts';
import { loadCausalLM } from '../../src/models/checkpoint/load-model.ts';
import { LoraAdapters } from '../../src/models/lora/index.ts';
import { Tokenizer } from '../../src/models/tokenizer/index.ts';
import { Generator, noGrad, tensor, tidy } from '../../src/tensor/index.ts';
import { attachLora, LMPolicy, LoraCausalLM, promptSource } from '../../src/trainers/adapters/index.ts';
import { PreferenceConfigSchema, SftConfigSchema } from '../../src/trainers/offline/config.ts';
import { trainPreference } from '../../src/trainers/offline/preference.ts';
import { referenceCacheKey } from '../../src/trainers/offline/reference-cache.ts';
import { trainSft } from '../../src/trainers/offline/sft.ts';
import { OnlineTrainConfigSchema } from '../../src/trainers/online/config.ts';
import { trainOnline } from '../../src/trainers/online/trainer.ts';
import type { Rollout } from '../../src/trainers/online/types.ts';
import {
  idsOf,
  KEYS,
  maxAbsDiff,
  NOISE,
  quietLog,
  readMetrics,
  safetensorsNames,
  tempDirs,
  toyPreferences,
  toySft,
  VOCAB,
  writeToyModel,
} from './fixtures/toy-task.ts';

const tmp = tempDirs('lora');
let base = '';
beforeAll(async () => {
  // Wide weights and full rotary, as the micro-batch tests (AdamW amplifies rounding noise elsewhere).
  base = await writeToyModel(tmp.make('base'), { seed: 17, wide: true, layers: 2, rotaryPct: 1 });
});
afterAll(() => tmp.cleanup());

const LORA = { r: 4, alpha: 8, dropout: 0, targetModules: ['query_key_value', 'dense'], useRslora: false };

async function sft(out: string, o: Record<string, unknown> = {}) {
  const config = SftConfigSchema.parse({
    model: base,
    out,
    data: { train: 'in-memory' },
    maxPromptTokens: 8,
    maxTotalTokens: 16,
    steps: 6,
    batchSize: 8,
    evalEvery: 0,
    checkpointEvery: 0,
    optim: { lr: 1e-2, schedule: 'constant' },
    seed: 7,
    lora: LORA,
    ...o,
  });
  const model = await loadCausalLM(base, { dtype: config.dtype });
  try {
    const trained = new LoraCausalLM(model, attachLora(model, config.lora!, base, config.seed), base);
    await trainSft({
      config,
      model: trained,
      tokenizer: await Tokenizer.fromFolder(base),
      train: toySft('train'),
      eval: [],
      log: quietLog,
    });
  } finally {
    model.dispose();
  }
  return out;
}

/** PEFT's names of our toy model's adapters (2 layers; query_key_value and dense), written out. */
const PEFT_NAMES = [0, 1].flatMap((i) =>
  ['attention.query_key_value', 'attention.dense'].flatMap((m) =>
    ['lora_A', 'lora_B'].map((f) => `base_model.model.gpt_neox.layers.${i}.${m}.${f}.weight`),
  ),
);

/** The keys PEFT's LoraConfig.save_pretrained writes that matter for loading (PEFT 0.x). */
const PEFT_CONFIG_KEYS = [
  'base_model_name_or_path',
  'bias',
  'fan_in_fan_out',
  'inference_mode',
  'init_lora_weights',
  'lora_alpha',
  'lora_dropout',
  'modules_to_save',
  'peft_type',
  'r',
  'target_modules',
  'task_type',
  'use_rslora',
];

const sample = () => tidy(() => tensor([idsOf('n0 k1 v3'), idsOf('n2 k5 v0')], { dtype: 'int64' }));
const ones = () => tensor([Array(3).fill(1), Array(3).fill(1)], { dtype: 'int64' });

describe('SFT with LoRA', () => {
  let out = '';
  beforeAll(async () => {
    out = await sft(tmp.make('sft'));
  });

  it("checkpoints and trains the adapters only, and saves PEFT's layout", async () => {
    const [step] = readdirSync(join(out, 'checkpoints')).filter((n) => n.startsWith('step-'));
    const { tensors } = await loadTensors(join(out, 'checkpoints', step!, 'tensors.safetensors'));
    const modelTensors = [...tensors.keys()].filter((k) => k.startsWith('model.')).sort();
    expect(modelTensors).toEqual(PEFT_NAMES.map((n) => `model.${n}`).sort());
    expect(readdirSync(join(out, 'model')).sort()).toEqual(
      [
        'adapter_config.json',
        'adapter_model.safetensors',
        'manifest.json',
        'special_tokens_map.json',
        'tokenizer.json',
        'tokenizer_config.json',
      ].sort(),
    );
    expect(safetensorsNames(join(out, 'model', 'adapter_model.safetensors')).sort()).toEqual(
      [...PEFT_NAMES].sort(),
    );
    const config = JSON.parse(readFileSync(join(out, 'model', 'adapter_config.json'), 'utf8'));
    for (const k of PEFT_CONFIG_KEYS) expect(config, k).toHaveProperty(k);
    expect(config).toMatchObject({
      peft_type: 'LORA',
      task_type: 'CAUSAL_LM',
      r: 4,
      lora_alpha: 8,
      lora_dropout: 0,
      target_modules: ['query_key_value', 'dense'],
      bias: 'none',
      fan_in_fan_out: false,
      base_model_name_or_path: base,
      modules_to_save: null,
      use_rslora: false,
    });
    // B moved away from zero: the adapters trained.
    const { tensors: saved } = await loadTensors(join(out, 'model', 'adapter_model.safetensors'));
    const b = saved.get('base_model.model.gpt_neox.layers.1.attention.dense.lora_B.weight')!;
    expect(Math.max(...b.toArray().map(Math.abs))).toBeGreaterThan(1e-3);
    expect(readMetrics(out).at(-1)!.loss).toBeLessThan(readMetrics(out)[0]!.loss!);
  });

  it('loads back as base + adapter, and merges into a full snapshot of W + (α/r)·B·A', async () => {
    const adapterDir = join(out, 'model');
    const baseModel = await loadCausalLM(base);
    const loaded = await loadCausalLM(adapterDir);
    const merged = tmp.make('merged');
    await runMergeCommand({ base, adapter: adapterDir, out: merged }, () => {});
    const fromMerge = await loadCausalLM(merged);
    // The merged weight of one adapted layer, by hand in float64 from the files.
    const { tensors } = await loadTensors(join(adapterDir, 'adapter_model.safetensors'));
    const name = 'gpt_neox.layers.0.attention.query_key_value';
    const A = tensors.get(`base_model.model.${name}.lora_A.weight`)!;
    const B = tensors.get(`base_model.model.${name}.lora_B.weight`)!;
    const W = baseModel.parameters().get(`${name}.weight`)!;
    const [outF, inF] = W.shape as [number, number];
    const [a, b, w] = [A.toArray(), B.toArray(), W.toArray()];
    const expected = w.map((x, k) => {
      const [o, i] = [Math.floor(k / inF), k % inF];
      let d = 0;
      for (let j = 0; j < 4; j++) d += b[o * 4 + j]! * a[j * inF + i]!;
      return x + (8 / 4) * d;
    });
    expect(outF).toBe(3 * 32);
    expect(maxAbsDiff(fromMerge.parameters().get(`${name}.weight`)!.toArray(), expected)).toBeLessThan(1e-6);
    expect(maxAbsDiff(loaded.parameters().get(`${name}.weight`)!.toArray(), expected)).toBeLessThan(1e-6);
    // An untargeted layer is the base's.
    const mlp = 'gpt_neox.layers.0.mlp.dense_h_to_4h.weight';
    expect(fromMerge.parameters().get(mlp)!.toArray()).toEqual(baseModel.parameters().get(mlp)!.toArray());
    // The base with the trained adapters attached gives the loaded model's logits.
    // The saved factors attached (unmerged) to the base.
    LoraAdapters.attach(baseModel, LORA, { gen: new Generator(1), tensors });
    const logits = (m: typeof baseModel) => noGrad(() => m.logits(sample(), ones()).toArray());
    expect(maxAbsDiff(logits(loaded), logits(baseModel))).toBeLessThan(1e-5);
    expect(maxAbsDiff(logits(fromMerge), logits(baseModel))).toBeLessThan(1e-5);
    for (const m of [baseModel, loaded, fromMerge]) m.dispose();
  });

  it("an adapter folder as DPO's reference keys the log-prob cache by its adapter files", () => {
    const copy = tmp.make('adapter-copy');
    cpSync(join(out, 'model'), copy, { recursive: true });
    const before = referenceCacheKey(copy, []);
    appendFileSync(join(copy, 'adapter_model.safetensors'), ' ');
    expect(referenceCacheKey(copy, [])).not.toBe(before);
  });

  it('resumes an interrupted run with LoRA dropout byte for byte', async () => {
    const dropout = { lora: { ...LORA, dropout: 0.2 } };
    const whole = await sft(tmp.make('whole'), dropout);
    const resumed = tmp.make('resumed');
    await sft(resumed, { ...dropout, steps: 3 });
    await sft(resumed, dropout);
    expect(readMetrics(resumed).map((r) => r.loss)).toEqual(readMetrics(whole).map((r) => r.loss));
    expect(readFileSync(join(resumed, 'model', 'adapter_model.safetensors'))).toEqual(
      readFileSync(join(whole, 'model', 'adapter_model.safetensors')),
    );
    // Dropout draws are part of the run: without it the run differs.
    expect(readMetrics(whole).map((r) => r.loss)).not.toEqual(readMetrics(out).map((r) => r.loss));
  });

  it('bfloat16: bf16 adapters stepped through float32 masters, which the checkpoints hold', async () => {
    const dir = await sft(tmp.make('bf16'), { dtype: 'bfloat16', steps: 2 });
    const [step] = readdirSync(join(dir, 'checkpoints')).filter((n) => n.startsWith('step-'));
    const { tensors } = await loadTensors(join(dir, 'checkpoints', step!, 'tensors.safetensors'));
    const master = tensors.get(`model.${PEFT_NAMES[1]}`)!;
    expect(master.dtype).toBe('float32');
    const { tensors: saved } = await loadTensors(join(dir, 'model', 'adapter_model.safetensors'));
    const b = saved.get(PEFT_NAMES[1]!)!;
    expect(b.dtype).toBe('bfloat16');
    // The saved bf16 factor is the float32 master rounded to bf16.
    expect(tidy(() => master.to('bfloat16').toArray())).toEqual(b.toArray());
    expect(readMetrics(dir).every((r) => Number.isFinite(r.loss))).toBe(true);
  });

  it('micro-batches change nothing but memory', async () => {
    const whole = await sft(tmp.make('mb-whole'), { steps: 3 });
    const chunked = await sft(tmp.make('mb-chunked'), { steps: 3, microBatchSize: 3 });
    const read = async (dir: string) =>
      [...(await loadTensors(join(dir, 'model', 'adapter_model.safetensors'))).tensors.values()].flatMap(
        (t) => t.toArray(),
      );
    const [wa, wb] = [await read(whole), await read(chunked)];
    expect(maxAbsDiff(wa, wb)).toBeLessThan(1e-4);
    const lw = readMetrics(whole).map((r) => r.loss!);
    const lc = readMetrics(chunked).map((r) => r.loss!);
    for (const [i, l] of lw.entries()) expect(Math.abs(lc[i]! - l)).toBeLessThan(1e-5 * Math.max(1, l));
  });
});

describe('the reference of LoRA runs is the policy with its adapters disabled', () => {
  it('DPO: a resume that recomputes the reference log-probs gives the same run', async () => {
    const run = async (out: string, steps: number) => {
      const config = PreferenceConfigSchema.parse({
        model: base,
        out,
        data: { train: 'in-memory' },
        maxPromptTokens: 8,
        maxTotalTokens: 16,
        steps,
        batchSize: 8,
        evalEvery: 0,
        checkpointEvery: 0,
        optim: { lr: 1e-2, schedule: 'constant' },
        seed: 3,
        lora: LORA,
      });
      const model = await loadCausalLM(base);
      let loadedReference = 0;
      try {
        const policy = new LoraCausalLM(model, attachLora(model, config.lora!, base, 3), base);
        await trainPreference({
          config,
          policy,
          loadReference: async () => {
            loadedReference++;
            return policy.reference();
          },
          tokenizer: await Tokenizer.fromFolder(base),
          train: toyPreferences('train', 2),
          eval: [],
          log: quietLog,
        });
      } finally {
        model.dispose();
      }
      return loadedReference;
    };
    const whole = tmp.make('dpo-whole');
    expect(await run(whole, 4)).toBe(1);
    const resumed = tmp.make('dpo-resumed');
    await run(resumed, 2);
    // Without the cache the resumed run (adapters trained for 2 steps) computes the reference again.
    rmSync(join(resumed, 'cache'), { recursive: true, force: true });
    expect(await run(resumed, 4)).toBe(1);
    // The same up to the float32 rounding of other reference batches (the resumed run's cache
    // covers other pairs); adapters left on in the reference would move it by ~1e-2 here.
    const [a, b] = [readMetrics(whole), readMetrics(resumed)];
    for (const key of ['ref/logratio', 'loss', 'rewards/margins'])
      expect(
        maxAbsDiff(
          b.map((r) => r[key]!),
          a.map((r) => r[key]!),
        ),
        key,
      ).toBeLessThan(1e-5);
    // At step 1 the policy is the reference (B = 0): DPO's implicit rewards are 0.
    expect(Math.abs(a[0]!['rewards/chosen']!)).toBeLessThan(1e-6);
    expect(a.at(-1)!['rewards/margins']).toBeGreaterThan(0);
  });

  it('RL (PPO, value head, LoRA dropout) resumes byte for byte', async () => {
    const tokenizer = await Tokenizer.fromFolder(base);
    const target = VOCAB.x!;
    const run = async (out: string, steps: number) => {
      const policy = await LMPolicy.load(base, {
        trainable: true,
        valueHead: true,
        seed: 2,
        lora: { ...LORA, dropout: 0.2 },
      });
      try {
        await trainOnline({
          runDir: out,
          name: 'rl',
          config: OnlineTrainConfigSchema.parse({
            algorithm: 'ppo',
            steps,
            promptsPerStep: 8,
            lr: 1e-2,
            schedule: 'constant',
            maxNewTokens: 4,
            missingEosPenalty: null,
            evalEvery: 0,
            checkpointEvery: 1,
            seed: 6,
            ppo: { epochs: 2, minibatchSize: 4 },
            regularizer: { kl: { coef: 0.05 } },
          }),
          policy,
          reference: policy.adaptersDisabled(),
          reward: (r: Rollout) =>
            tidy(() => r.responseIds.eq(target).mul(r.responseMask).sum(1).gt(0).to('float64')),
          prompts: promptSource(
            tokenizer,
            NOISE.flatMap((n) => KEYS.map((k) => `${n} ${k}`)),
            8,
          ),
          log: quietLog,
        });
      } finally {
        policy.model.dispose();
        policy.valueHead?.dispose();
      }
    };
    const whole = tmp.make('rl-whole');
    await run(whole, 3);
    const resumed = tmp.make('rl-resumed');
    await run(resumed, 2);
    await run(resumed, 3);
    for (const f of ['adapter_model.safetensors', 'value_head.safetensors'])
      expect(readFileSync(join(resumed, 'model', f)), f).toEqual(readFileSync(join(whole, 'model', f)));
    expect(readMetrics(resumed).map((r) => r['objective/kl'])).toEqual(
      readMetrics(whole).map((r) => r['objective/kl']),
    );
  });

  it('RL with the KL penalty: KL 0 before the first update; the disabled adapters score as the base snapshot', async () => {
    const out = tmp.make('rl');
    const policy = await LMPolicy.load(base, { trainable: true, seed: 2, lora: LORA });
    const reference = policy.adaptersDisabled()!;
    const tokenizer = await Tokenizer.fromFolder(base);
    const target = VOCAB.x!;
    const reward = (r: Rollout) =>
      tidy(() => r.responseIds.eq(target).mul(r.responseMask).sum(1).gt(0).to('float64'));
    await trainOnline({
      runDir: out,
      name: 'rl',
      config: OnlineTrainConfigSchema.parse({
        algorithm: 'rloo',
        steps: 3,
        promptsPerStep: 8,
        lr: 1e-2,
        schedule: 'constant',
        maxNewTokens: 4,
        missingEosPenalty: null,
        evalEvery: 0,
        checkpointEvery: 0,
        seed: 6,
        rloo: { k: 2, epochs: 1, minibatchSize: 16 },
        regularizer: { kl: { coef: 0.05 } },
      }),
      policy,
      reference,
      reward,
      prompts: promptSource(
        tokenizer,
        NOISE.flatMap((n) => KEYS.map((k) => `${n} ${k}`)),
        8,
      ),
      log: quietLog,
    });
    const rows = readMetrics(out);
    expect(rows[0]!['objective/kl']).toBe(0);
    // Later steps: the adapters moved the policy away (the sampled estimate may have either sign).
    expect(Math.abs(rows.at(-1)!['objective/kl']!)).toBeGreaterThan(1e-4);
    expect(readdirSync(join(out, 'model'))).toContain('adapter_model.safetensors');
    // The disabled view scores a rollout as the base snapshot loaded on its own.
    const plain = await LMPolicy.load(base, { trainable: false });
    const prompts = promptSource(tokenizer, ['n0 k1', 'n3 k4'], 8).batch([0, 1]);
    const rollout: Rollout = {
      prompts,
      responseIds: tensor([idsOf('v3 x'), idsOf('v1 v2')], { dtype: 'int64' }),
      responseMask: tensor([
        [1, 1],
        [1, 1],
      ]),
      endedWithEos: tensor([0, 0]),
    };
    const logps = (p: { score: LMPolicy['score'] }) =>
      noGrad(() => p.score(rollout, { temperature: 1 }).logps.toArray());
    expect(logps(reference)).toEqual(logps(plain));
    const trained = logps(policy);
    expect(maxAbsDiff(trained, logps(plain))).toBeGreaterThan(1e-4);
    // klPrev: exact's frozen copy holds the adapters as they were, however the live ones move on.
    const frozen = policy.snapshot();
    noGrad(() => {
      for (const t of policy.parameters().values()) tidy(() => t.addScaled_(tensor(0.05)));
    });
    expect(logps(frozen)).toEqual(trained);
    expect(maxAbsDiff(logps(policy), trained)).toBeGreaterThan(1e-4);
    frozen.dispose();
    plain.model.dispose();
    policy.model.dispose();
  });
});
