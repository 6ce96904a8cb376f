/**
 * LoRA end to end through `main([...])` on a tiny model and lab data: sft with `lora` writes an
 * adapter folder that `generate` and `bon` load as base + adapter; training new adapters on an
 * adapter folder is refused (merge first) and `merge` makes the full snapshot; rm with LoRA saves a
 * SEQ_CLS adapter with its score head, which rl then reads as its reward model; po and rl with
 * LoRA use the policy with its adapters disabled as the reference, and `plan` counts no copy of it.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { planConfig } from '../../src/cli/commands/plan.ts';
import { main } from '../../src/cli/main.ts';
import {
  buildPreferenceDataset,
  generateLabDataset,
  LAB_FILES,
  writeLabTokenizerFiles,
  writePreferenceFile,
  writeSftFiles,
} from '../../src/lab/task/index.ts';
import {
  countModelParameters as countParameters,
  loadConfig,
  loadRewardModel,
} from '../../src/models/index.ts';

const root = mkdtempSync(join(tmpdir(), 'cli-lora-'));
const data = join(root, 'data');
const init = join(root, 'init');
afterAll(() => rmSync(root, { recursive: true, force: true }));

let stdout: string[] = [];
let stderr: string[] = [];
beforeEach(() => {
  stdout = [];
  stderr = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void stdout.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void stderr.push(a.join(' ')));
});
afterEach(() => vi.restoreAllMocks());

beforeAll(async () => {
  await writeLabTokenizerFiles(data);
  await writeSftFiles(data, generateLabDataset({ seed: 1, nTrain: 32, nEval: 8 }));
  await writePreferenceFile(data, 'train', buildPreferenceDataset({ seed: 1, nPairs: 16 }));
  await writePreferenceFile(data, 'eval', buildPreferenceDataset({ seed: 1, nPairs: 8, split: 'eval' }));
  vi.spyOn(console, 'log').mockImplementation(() => {});
  expect(
    await main(['init-model', '--config', 'pythia-tiny', '--out', init, '--tokenizer', data, '--seed', '1']),
  ).toBe(0);
  vi.restoreAllMocks();
});

const file = (name: string, value: Record<string, unknown>) => {
  const p = join(root, name);
  writeFileSync(p, stringify(value));
  return p;
};
async function ok(argv: string[]): Promise<string> {
  const code = await main(argv);
  expect(code, stderr.join('\n')).toBe(0);
  return stdout.join('\n');
}

const LORA = { r: 4, alpha: 16, targetModules: ['query_key_value', 'dense_4h_to_h'] };
const LIMITS = { maxPromptTokens: 48, maxTotalTokens: 80, batchSize: 4, steps: 2, evalEvery: 0 };
const PREFS = { train: join(data, LAB_FILES.preferenceTrain), eval: join(data, LAB_FILES.preferenceEval) };
const sft = join(root, 'sft');
const merged = join(root, 'sft-merged');
const rm = join(root, 'rm');

describe('LoRA through the CLI', () => {
  it('sft with lora writes an adapter folder, not a full snapshot', async () => {
    const cfg = file('sft.yaml', {
      model: init,
      out: sft,
      data: { train: join(data, LAB_FILES.sftTrain), eval: join(data, LAB_FILES.sftEval) },
      ...LIMITS,
      optim: { lr: 1e-2, schedule: 'constant' },
      lora: LORA,
    });
    await ok(['sft', '--config', cfg]);
    expect(existsSync(join(sft, 'model', 'adapter_model.safetensors'))).toBe(true);
    expect(existsSync(join(sft, 'model', 'config.json'))).toBe(false);
  });

  it('new adapters on an adapter folder are refused; merge writes the full snapshot, which generates as the adapter folder does', async () => {
    const cfg = file('rm-on-adapter.yaml', {
      model: join(sft, 'model'),
      out: join(root, 'rm-refused'),
      data: PREFS,
      ...LIMITS,
      lora: LORA,
    });
    expect(await main(['rm', '--config', cfg])).toBe(1);
    expect(stderr.join('\n')).toMatch(/is itself a LoRA adapter folder; merge it first \(maxent-rlhf merge/);
    const out = await ok(['merge', '--base', init, '--adapter', join(sft, 'model'), '--out', merged]);
    expect(out).toContain(`GPTNeoXForCausalLM snapshot in ${merged}`);
    expect(existsSync(join(merged, 'model.safetensors'))).toBe(true);
    expect(existsSync(join(merged, 'tokenizer.json'))).toBe(true);
    // generate reads the adapter folder as base + adapter: the merged snapshot's tokens and log-probs.
    const generated = async (model: string) => {
      stdout = [];
      const args = [
        'generate',
        '--model',
        model,
        '--prompt',
        'my landlord',
        '--max-new-tokens',
        '6',
        '--seed',
        '3',
      ];
      return JSON.parse((await ok([...args, '--json'])).split('\n')[0]!) as {
        generated_ids: number[];
        logprobs: number[];
      };
    };
    const [a, b] = [await generated(join(sft, 'model')), await generated(merged)];
    expect(a.generated_ids).toEqual(b.generated_ids);
    for (const [i, l] of a.logprobs.entries()) expect(Math.abs(l - b.logprobs[i]!)).toBeLessThan(1e-4);
  });

  it('rm with LoRA saves a SEQ_CLS adapter with its score head, loadable as a reward model', async () => {
    const cfg = file('rm.yaml', { model: merged, out: rm, data: PREFS, ...LIMITS, lora: LORA });
    await ok(['rm', '--config', cfg]);
    const config = JSON.parse(readFileSync(join(rm, 'model', 'adapter_config.json'), 'utf8'));
    expect(config).toMatchObject({
      task_type: 'SEQ_CLS',
      modules_to_save: ['score'],
      base_model_name_or_path: merged,
    });
    // A reward-model adapter is not a causal LM.
    expect(await main(['generate', '--model', join(rm, 'model'), '--prompt', 'my landlord'])).toBe(1);
    expect(stderr.join('\n')).toContain('a reward-model (SEQ_CLS) LoRA adapter');
    const model = await loadRewardModel(join(rm, 'model'));
    expect(model.score.toArray().some((x) => x !== 0)).toBe(true);
    model.dispose();
    // The merged reward model is a full GPTNeoXForSequenceClassification snapshot.
    const out = await ok([
      'merge',
      '--base',
      merged,
      '--adapter',
      join(rm, 'model'),
      '--out',
      join(root, 'rm-merged'),
    ]);
    expect(out).toContain('GPTNeoXForSequenceClassification snapshot');
  });

  it('po (dpo) with LoRA: the reference is the policy with its adapters disabled', async () => {
    const cfg = file('po.yaml', {
      model: merged,
      out: join(root, 'dpo'),
      data: PREFS,
      ...LIMITS,
      loss: 'dpo',
      lora: LORA,
    });
    const out = await ok(['po', '--config', cfg]);
    expect(out).toContain(`reference ${merged} (the policy with its LoRA adapters disabled)`);
    expect(existsSync(join(root, 'dpo', 'model', 'adapter_config.json'))).toBe(true);
  });

  const rl = {
    model: merged,
    reference: merged,
    reward: join(rm, 'model'),
    data: { prompts: join(data, LAB_FILES.sftTrain) },
    maxPromptTokens: 48,
    steps: 2,
    promptsPerStep: 2,
    maxNewTokens: 6,
    evalEvery: 0,
    algorithm: 'ppo',
    regularizer: { kl: { coef: 0.05 } },
    lora: LORA,
  };

  it('rl (PPO, KL) with LoRA: adapters and value head trained, reward read from an adapter folder; bon takes the adapter folder as its policy', async () => {
    const cfg = file('rl.yaml', { ...rl, out: join(root, 'rl') });
    await ok(['rl', '--config', cfg]);
    const model = join(root, 'rl', 'model');
    expect(existsSync(join(model, 'adapter_model.safetensors'))).toBe(true);
    expect(existsSync(join(model, 'value_head.safetensors'))).toBe(true);
    const bon = file('bon.yaml', {
      model,
      reward: join(rm, 'model'),
      out: join(root, 'bon'),
      data: { prompts: join(data, LAB_FILES.sftEval), limit: 2 },
      maxPromptTokens: 48,
      n: [1, 2],
      calibrationSamples: 0,
      maxNewTokens: 4,
    });
    await ok(['bon', '--config', bon]);
    expect(existsSync(join(root, 'bon', 'metrics.jsonl'))).toBe(true);
  });

  it('plan: the adapters and their AdamW state, and no reference copy', async () => {
    const withLora = await planConfig({ config: file('plan-lora.yaml', { ...rl, out: join(root, 'p1') }) });
    const full = await planConfig({
      config: file('plan-full.yaml', { ...rl, lora: null, out: join(root, 'p2') }),
    });
    const c = await loadConfig(merged);
    const h = c.hiddenSize;
    // r·(in + out) per adapted layer: query_key_value [3h, h], dense_4h_to_h [h, 4h·…].
    const adapters = c.numHiddenLayers * 4 * (h + 3 * h + c.intermediateSize + h);
    const state = (p: typeof withLora) => p.plan.phases.find((x) => x.name === 'update')!.components;
    const byName = (p: typeof withLora, name: string) => state(p).find((x) => x.name === name)!;
    expect(byName(withLora, 'LoRA adapters').bytes).toBe(adapters * 4);
    expect(byName(withLora, 'AdamW state').bytes).toBe(2 * adapters * 4);
    expect(byName(withLora, 'reference').bytes).toBe(0);
    expect(byName(full, 'reference').bytes).toBe(countParameters(c) * 4);
    expect(byName(full, 'AdamW state').bytes).toBe(2 * countParameters(c) * 4);
  });
});
