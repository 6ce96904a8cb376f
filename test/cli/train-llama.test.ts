/**
 * Every trainer and estimator on the Llama family, through `main([...])` as a user runs them: a
 * llama-tiny (grouped-query, untied) made by init-model on the lab tokenizer, then sft → rm → po
 * (DPO, with its cached reference) → rl with RLOO + KL and the lab judge, PPO with a value head and
 * with a reward-model critic, GRPO with an entropy bonus, and best-of-n; and qwen2-tiny (q/k/v
 * biases, tied head) through sft, rm and rl. A few steps each: the point is that each runs, logs finite
 * numbers, and saves a snapshot of the same family that loads again.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { main } from '../../src/cli/main.ts';
import {
  buildPreferenceDataset,
  generateLabDataset,
  LAB_FILES,
  writeLabTokenizerFiles,
  writePreferenceFile,
  writeSftFiles,
} from '../../src/lab/task/index.ts';
import { LlamaForCausalLM, LlamaRewardModel, loadCausalLM, loadRewardModel } from '../../src/models/index.ts';

const root = mkdtempSync(join(tmpdir(), 'cli-llama-'));
const data = join(root, 'data');
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
});

const file = (name: string, value: Record<string, unknown>) => {
  const p = join(root, name);
  writeFileSync(p, stringify(value));
  return p;
};
const metrics = (dir: string) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, number>);
const configJson = (dir: string) => JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
async function ok(argv: string[]): Promise<string> {
  const code = await main(argv);
  expect(code, stderr.join('\n')).toBe(0);
  return stdout.join('\n');
}
/** Every logged number of every line is finite. */
function allFinite(dir: string): void {
  for (const line of metrics(dir))
    for (const [k, v] of Object.entries(line))
      if (typeof v === 'number') expect(Number.isFinite(v), k).toBe(true);
}

const LIMITS = { maxPromptTokens: 48, maxTotalTokens: 80, batchSize: 4 };
const PREFS = {
  data: { train: join(data, LAB_FILES.preferenceTrain), eval: join(data, LAB_FILES.preferenceEval) },
};

describe.each([
  ['llama-tiny', 'llama', 'LlamaForCausalLM'],
  ['qwen2-tiny', 'qwen2', 'Qwen2ForCausalLM'],
] as const)('%s through the trainers', (configName, modelType, architecture) => {
  const dir = join(root, configName);
  const init = join(dir, 'init');
  const sft = join(dir, 'sft');
  const rm = join(dir, 'rm');
  const full = configName === 'llama-tiny'; // qwen2-tiny runs sft, rm and one rl run

  it('init-model writes the family and sft trains it', async () => {
    await ok(['init-model', '--config', configName, '--out', init, '--tokenizer', data, '--seed', '1']);
    expect(configJson(init)).toMatchObject({ model_type: modelType, architectures: [architecture] });
    const cfg = file(`${configName}-sft.yaml`, {
      model: init,
      out: sft,
      data: { train: join(data, LAB_FILES.sftTrain), eval: join(data, LAB_FILES.sftEval) },
      ...LIMITS,
      steps: 3,
      optim: { lr: 3e-3, schedule: 'constant' },
      evalEvery: 3,
    });
    await ok(['sft', '--config', cfg]);
    const losses = metrics(sft).map((l) => l.loss!);
    expect(losses).toHaveLength(3);
    expect(losses[2]).toBeLessThan(losses[0]!); // three steps at 3e-3 from random init do learn
    allFinite(sft);
    expect(configJson(join(sft, 'model'))).toMatchObject({ model_type: modelType });
    const model = await loadCausalLM(join(sft, 'model'));
    expect(model).toBeInstanceOf(LlamaForCausalLM);
    model.dispose();
  });

  it('rm trains a …ForSequenceClassification from the SFT snapshot', async () => {
    const cfg = file(`${configName}-rm.yaml`, {
      model: join(sft, 'model'),
      out: rm,
      ...PREFS,
      ...LIMITS,
      steps: 2,
    });
    await ok(['rm', '--config', cfg]);
    allFinite(rm);
    expect(configJson(join(rm, 'model')).architectures).toEqual([
      architecture.replace('CausalLM', 'SequenceClassification'),
    ]);
    const reward = await loadRewardModel(join(rm, 'model'));
    expect(reward).toBeInstanceOf(LlamaRewardModel);
    reward.dispose();
  });

  it.runIf(full)('po: DPO with its cached reference', async () => {
    const out = join(dir, 'dpo');
    const cfg = file(`${configName}-dpo.yaml`, {
      model: join(sft, 'model'),
      out,
      ...PREFS,
      ...LIMITS,
      steps: 2,
      loss: 'dpo',
      beta: 0.1,
    });
    await ok(['po', '--config', cfg]);
    allFinite(out);
    expect(metrics(out)[0]).toHaveProperty('ref/logratio');
  });

  const rl = (name: string, extra: Record<string, unknown>) =>
    file(`${configName}-${name}.yaml`, {
      model: join(sft, 'model'),
      reward: join(rm, 'model'),
      out: join(dir, name),
      data: { prompts: join(data, LAB_FILES.sftTrain) },
      maxPromptTokens: 48,
      steps: 2,
      promptsPerStep: 2,
      maxNewTokens: 6,
      ...extra,
    });

  it.runIf(full)('rl: RLOO with a KL penalty, the exact KL(π_t‖π_{t−1}) and the lab judge', async () => {
    const cfg = rl('rloo', {
      reference: join(sft, 'model'),
      regularizer: { kl: { coef: 0.05 } },
      klPrev: 'exact',
      eval: { prompts: join(data, LAB_FILES.sftEval), count: 4, judge: 'lab' },
      evalEvery: 2,
    });
    await ok(['rl', '--config', cfg]);
    allFinite(join(dir, 'rloo'));
    const last = metrics(join(dir, 'rloo')).at(-1)!;
    for (const k of ['objective/kl', 'policy/kl_prev', 'eval/win_rate', 'eval/gold_score'])
      expect(last, k).toHaveProperty(k);
    expect(configJson(join(dir, 'rloo', 'model'))).toMatchObject({ model_type: modelType });
  });

  it.runIf(full)(
    'rl: PPO with a value head, and with a critic initialised from the reward model',
    async () => {
      for (const critic of ['policy-head', 'reward-model']) {
        const name = `ppo-${critic}`;
        const cfg = rl(name, {
          reference: join(sft, 'model'),
          algorithm: 'ppo',
          ppo: { epochs: 2, minibatchSize: 2, critic },
          steps: 1,
          regularizer: { kl: { coef: 0.05 } },
        });
        await ok(['rl', '--config', cfg]);
        allFinite(join(dir, name));
        expect(metrics(join(dir, name))[0]).toHaveProperty('loss/value_avg');
      }
    },
  );

  it('rl: GRPO with an entropy bonus and no reference (Maximum-Entropy RLHF)', async () => {
    const cfg = rl('grpo', { algorithm: 'grpo', regularizer: { entropy: { coef: 0.05 } } });
    await ok(['rl', '--config', cfg]);
    allFinite(join(dir, 'grpo'));
    expect(metrics(join(dir, 'grpo'))[0]).toHaveProperty('objective/entropy_bonus');
  });

  it.runIf(full)('bon: best-of-n under the Llama reward model', async () => {
    const out = join(dir, 'bon');
    const cfg = file(`${configName}-bon.yaml`, {
      model: join(sft, 'model'),
      reward: join(rm, 'model'),
      out,
      data: { prompts: join(data, LAB_FILES.sftEval), limit: 4 },
      maxPromptTokens: 48,
      n: [1, 2],
      calibrationSamples: 4,
      batchSize: 4,
      maxNewTokens: 6,
      judge: 'lab',
    });
    await ok(['bon', '--config', cfg]);
    expect(existsSync(join(out, 'metrics.jsonl'))).toBe(true);
    allFinite(out);
  });
});
