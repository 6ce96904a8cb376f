/**
 * Issue 26, item 3: TRL configs run as they are (names translated ahead of our strict parsing, the
 * translation printed), epochs and warm-up ratios are first-class, unknown keys get "did you mean",
 * and docs/trl-keys.md is the table the translation uses. Expected values are worked by hand from
 * TRL's documented semantics, not read from the translation table.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { translateTrlConfig, trlKeysMarkdown } from '../../src/config/trl.ts';
import { LAB_FILES } from '../../src/lab/task/index.ts';
import { type LabSetup, labSetup } from '../reliability/fixtures/cli-lab.ts';

const root = mkdtempSync(join(tmpdir(), 'trl-config-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let lab: LabSetup;
beforeAll(async () => {
  lab = await labSetup(root);
});
let stderr: string[] = [];
beforeEach(() => {
  stderr = [];
  vi.spyOn(console, 'log').mockImplementation(() => {});
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void stderr.push(a.join(' ')));
});
afterEach(() => vi.restoreAllMocks());

const runJson = (dir: string) => JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
const metrics = (dir: string) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, number>);

describe('a TRL DPOConfig, pasted', () => {
  it('runs `po` with the names translated, and prints the translation', async () => {
    const out = join(root, 'dpo');
    const file = lab.config('dpo.yaml', {
      // ours: what TRL takes as script arguments
      model: lab.init,
      data: { train: join(lab.data, LAB_FILES.preferenceTrain) },
      // TRL's DPOConfig
      output_dir: out,
      learning_rate: 5e-4,
      per_device_train_batch_size: 4,
      gradient_accumulation_steps: 2,
      max_steps: 2,
      lr_scheduler_type: 'constant_with_warmup',
      warmup_steps: 1,
      beta: 0.1,
      loss_type: 'sigmoid',
      max_length: 80,
      max_prompt_length: 48,
      logging_steps: 10,
      bf16: false,
      seed: 7,
      report_to: 'none',
    });
    expect(await main(['po', '--config', file]), stderr.join('\n')).toBe(0);
    const log = stderr.join('\n');
    expect(log).toContain('TRL names translated');
    expect(log).toContain('learning_rate: 0.0005 → optim.lr: 0.0005');
    expect(log).toContain('logging_steps: 10 → ignored');
    const c = runJson(out).config;
    expect(c).toMatchObject({
      out,
      batchSize: 4,
      gradAccum: 2,
      steps: 2,
      beta: 0.1,
      loss: 'dpo',
      maxTotalTokens: 80,
      maxPromptTokens: 48,
      seed: 7,
      dtype: 'float32',
      reportTo: ['jsonl'],
      optim: { lr: 5e-4, schedule: 'constant', warmupSteps: 1 },
    });
    expect(metrics(out).map((m) => m.lr)).toEqual([5e-4, 5e-4]); // warm-up of 1 step: lr·1/1
  });

  it('a key TRL has and we do not is an error naming it; --config-format native says what it is', async () => {
    const file = lab.config('fp16.yaml', { ...lab.sft(join(root, 'x')), fp16: true, learning_rate: 1e-5 });
    expect(await main(['sft', '--config', file])).toBe(1);
    expect(stderr.join('\n')).toMatch(/fp16: not supported here: float16 training is not implemented/);
    stderr = [];
    expect(await main(['sft', '--config', file, '--config-format', 'native'])).toBe(1);
    expect(stderr.join('\n')).toMatch(/"learning_rate": TRL's learning_rate is our optim\.lr/);
  });
});

describe("TRL's PEFT flags (ModelConfig) become a lora section", () => {
  it('use_peft true: the lora_* keys, with TRL defaults r 16, alpha 32, dropout 0.05 where absent', () => {
    const { config, lines } = translateTrlConfig('po', {
      learning_rate: 5e-7,
      use_peft: true,
      lora_r: 8,
      lora_target_modules: ['query_key_value', 'dense'],
    });
    expect(config.lora).toEqual({
      r: 8,
      alpha: 32,
      dropout: 0.05,
      targetModules: ['query_key_value', 'dense'],
      useRslora: false,
    });
    expect(lines.join('\n')).toContain('use_peft, lora_r, lora_target_modules → lora:');
  });

  it('without use_peft TRL trains every weight: no lora section', () => {
    const { config, lines } = translateTrlConfig('sft', { learning_rate: 1e-5, lora_r: 8 });
    expect(config).not.toHaveProperty('lora');
    expect(config).not.toHaveProperty('lora_r');
    expect(lines.join('\n')).toContain('use_peft false → lora_r ignored');
  });
});

describe('TRL rollout sizes (counts) become ours (sizes)', () => {
  it('PPO-style RLOO: 4 per device × 2 accumulation × 2 mini-batches = 16 responses, k = 2', () => {
    const { config, lines } = translateTrlConfig('rl', {
      rloo_k: 2,
      per_device_train_batch_size: 4,
      gradient_accumulation_steps: 2,
      num_mini_batches: 2,
      num_ppo_epochs: 3,
      kl_coef: 0.05,
      cliprange: 0.1,
      response_length: 53,
      total_episodes: 100,
    });
    // 16 responses / k 2 = 8 prompts; minibatches of 16 / 2 = 8 rows; micro-batches of 4;
    // steps ⌈100 / 16⌉ = 7.
    expect(config).toMatchObject({
      algorithm: 'rloo',
      promptsPerStep: 8,
      microBatchSize: 4,
      steps: 7,
      maxNewTokens: 53,
      rloo: { k: 2, minibatchSize: 8, epochs: 3, clip: 0.1 },
      regularizer: { kl: { coef: 0.05 } },
    });
    expect(lines.join('\n')).toContain('= 16 responses per rollout');
  });

  it('GRPO: 8 completions per device × 2 accumulation, 4 per prompt → 4 prompts, one step per rollout', () => {
    const { config } = translateTrlConfig('rl', {
      num_generations: 4,
      per_device_train_batch_size: 8,
      gradient_accumulation_steps: 2,
      beta: 0,
      epsilon: 0.3,
      num_iterations: 2,
      loss_type: 'dr_grpo',
    });
    expect(config).toMatchObject({
      algorithm: 'grpo',
      promptsPerStep: 4,
      microBatchSize: 8,
      regularizer: { kl: null },
      grpo: { groupSize: 4, minibatchSize: 16, clip: 0.3, epochs: 2, lossAggregation: 'constant' },
    });
  });

  it('DPO sigmoid with label smoothing is cDPO; SimPO with cpo_alpha is CPO-SimPO', () => {
    expect(translateTrlConfig('po', { loss_type: 'sigmoid', label_smoothing: 0.1 }).config.loss).toBe('cdpo');
    expect(
      translateTrlConfig('po', { loss_type: 'simpo', cpo_alpha: 0.5, simpo_gamma: 0.7 }).config,
    ).toMatchObject({
      loss: 'cpo-simpo',
      nllWeight: 0.5,
      gamma: 0.7,
    });
  });
});

describe('epochs and warm-up ratio', () => {
  it('sft: 2 epochs over 40 rows at 8 per step are 10 steps; warmupRatio 0.25 warms up 3 of them', async () => {
    const out = join(root, 'epochs');
    const file = lab.config(
      'epochs.yaml',
      lab.sft(out, { epochs: 2, batchSize: 8, optim: { lr: 3e-3, schedule: 'constant', warmupRatio: 0.25 } }),
    );
    expect(await main(['sft', '--config', file]), stderr.join('\n')).toBe(0);
    const lines = metrics(out);
    expect(lines.map((m) => m.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // ⌈0.25 · 10⌉ = 3 warm-up steps: lr·1/3, lr·2/3, then lr.
    const lr = lines.map((m) => m.lr!);
    expect(lr[0]).toBeCloseTo(1e-3, 12);
    expect(lr[1]).toBeCloseTo(2e-3, 12);
    for (const x of lr.slice(2)) expect(x).toBeCloseTo(3e-3, 12);
    expect(runJson(out).totalSteps).toBe(10);
    // A rerun of the finished run finds it done (the steps it came to are in run.json).
    expect(await main(['sft', '--config', file])).toBe(0);
    expect(stderr.join('\n')).not.toMatch(/rebuilding|resum/);
  });
});

describe('did you mean', () => {
  it('names the near key at the same level, snake_case forgiven', async () => {
    const file = lab.config('typo.yaml', {
      ...lab.sft(join(root, 'typo')),
      optim: { lr: 1e-3, warmup_step: 2 },
      batchSzie: 4,
    });
    expect(await main(['sft', '--config', file, '--config-format', 'native'])).toBe(1);
    const msg = stderr.join('\n');
    expect(msg).toMatch(/"warmup_step": did you mean "warmupSteps"\?/);
    expect(msg).toMatch(/"batchSzie": did you mean "batchSize"\?/);
  });
});

describe('docs/trl-keys.md', () => {
  it('is the table the translation uses (npx tsx scripts/gen-config-docs.ts rewrites it)', () => {
    const text = readFileSync(join(import.meta.dirname, '../../docs/trl-keys.md'), 'utf8');
    expect(text).toBe(trlKeysMarkdown());
    // The keys are all there.
    for (const key of [
      'learning_rate',
      'per_device_train_batch_size',
      'gradient_accumulation_steps',
      'num_train_epochs',
      'warmup_ratio',
      'max_length',
      'max_prompt_length',
      'kl_coef',
      'cliprange',
      'num_ppo_epochs',
      'num_mini_batches',
      'response_length',
      'num_generations',
    ])
      expect(text).toContain(`| \`${key}\` |`);
  });
});
