/**
 * trainOnline with a real language model (LMPolicy over a tiny GPT-NeoX) and a reward written here
 * in TypeScript: +1 when the response contains the word "x". Checks that the reward rises, that the
 * TRL metrics are logged (objective/kl whenever a reference is given, Maximum-Entropy runs
 * included; policy/kl_prev ≥ 0; response/eos_rate), and that PPO with a value head runs, logs its
 * value metrics and saves a head that loads back.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCausalLM } from '../../src/models/checkpoint/load-model.ts';
import { Tokenizer } from '../../src/models/tokenizer/index.ts';
import { type Tensor, tensor } from '../../src/tensor/index.ts';
import { LMPolicy, promptSource } from '../../src/trainers/adapters/index.ts';
import { OnlineTrainConfigSchema } from '../../src/trainers/online/config.ts';
import { trainOnline } from '../../src/trainers/online/trainer.ts';
import type { Rollout } from '../../src/trainers/online/types.ts';
import {
  EOS_ID,
  firstLast,
  idsOf,
  KEYS,
  NOISE,
  quietLog,
  readMetrics,
  tempDirs,
  tokenLogps64,
  VOCAB,
  writeToyModel,
} from './fixtures/toy-task.ts';

const tmp = tempDirs('online-lm');
const TARGET = VOCAB.x!;
const PROMPTS = NOISE.flatMap((n) => KEYS.map((k) => `${n} ${k}`));
let base = '';

/** 1 if a response token (before padding) is the target word, else 0; and how often it was called. */
let rewardCalls = 0;
function containsTarget(r: Rollout): Tensor {
  rewardCalls++;
  const ids = r.responseIds.toArray();
  const mask = r.responseMask.toArray();
  const [B, R] = r.responseIds.shape as [number, number];
  const out = Array.from({ length: B }, (_, b) => {
    for (let t = 0; t < R; t++) if (mask[b * R + t]! > 0 && ids[b * R + t] === TARGET) return 1;
    return 0;
  });
  return tensor(out, { dtype: 'float64' });
}

function config(o: Record<string, unknown>) {
  return OnlineTrainConfigSchema.parse({
    algorithm: 'rloo',
    steps: 3,
    promptsPerStep: 8,
    lr: 1e-2,
    schedule: 'constant',
    temperature: 1,
    maxNewTokens: 4,
    missingEosPenalty: null,
    evalEvery: 0,
    checkpointEvery: 0,
    seed: 6,
    rloo: { k: 4, epochs: 1, minibatchSize: 32 },
    ...o,
  });
}

async function run(
  name: string,
  o: Record<string, unknown>,
  opts: { reference: boolean; valueHead?: boolean },
) {
  const dir = tmp.make(name);
  const policy = await LMPolicy.load(base, { trainable: true, valueHead: opts.valueHead, seed: 2 });
  const reference = opts.reference ? await LMPolicy.load(base, { trainable: false }) : null;
  const tokenizer = await Tokenizer.fromFolder(base);
  await trainOnline({
    runDir: dir,
    name,
    config: config(o),
    policy,
    reference,
    reward: containsTarget,
    prompts: promptSource(tokenizer, PROMPTS, 8),
    log: quietLog,
  });
  reference?.model.dispose();
  return { dir, rows: readMetrics(dir), policy };
}

function checkCommonMetrics(rows: ReturnType<typeof readMetrics>, steps: number): void {
  expect(rows.map((r) => r.step)).toEqual(Array.from({ length: steps }, (_, i) => i + 1));
  for (const r of rows) {
    for (const k of [
      'objective/scores',
      'objective/entropy',
      'objective/rlhf_reward',
      'response/length_mean',
      'lr',
    ])
      expect(Number.isFinite(r[k]), `${k} at step ${r.step}`).toBe(true);
    expect(r['policy/kl_prev']).toBeGreaterThanOrEqual(0);
    expect(r['response/eos_rate']).toBeGreaterThanOrEqual(0);
    expect(r['response/eos_rate']).toBeLessThanOrEqual(1);
    expect(r['response/length_mean']).toBeGreaterThan(0);
    expect(r['response/length_mean']).toBeLessThanOrEqual(4);
  }
}

beforeAll(async () => {
  base = await writeToyModel(tmp.make('base'), { seed: 13 });
});
afterAll(() => tmp.cleanup());

describe('online RL with a GPT-NeoX policy', () => {
  it('RLOO + KL: the reward rises, objective/kl and kl_prev are logged, the policy moves towards "x"', async () => {
    rewardCalls = 0;
    const steps = 15;
    const { dir, rows, policy } = await run(
      'rloo-kl',
      { steps, regularizer: { kl: { coef: 0.01 } } },
      {
        reference: true,
      },
    );
    expect(rewardCalls).toBe(steps);
    checkCommonMetrics(rows, steps);
    for (const r of rows) expect(Number.isFinite(r['objective/kl'])).toBe(true);
    expect(rows[0]!['objective/kl']).toBeCloseTo(0, 4); // the first rollout's policy is the reference
    expect(rows.some((r) => r['policy/kl_prev']! > 1e-4)).toBe(true);
    expect(rows.at(-1)!['objective/kl']).toBeGreaterThan(0);
    const s = firstLast(rows, 'objective/scores', 3);
    expect(s.first).toBeLessThan(0.4); // ≈ 1 − (1 − 1/31)^4 by chance
    expect(s.last).toBeGreaterThan(s.first + 0.3);

    // Independently of sampling: the saved policy gives "x" a higher next-token probability.
    const before = await loadCausalLM(base);
    const after = await loadCausalLM(join(dir, 'model'));
    const px = (m: typeof before) => Math.exp(tokenLogps64(m, idsOf('n0 k0'), [TARGET])[0]!);
    expect(px(after)).toBeGreaterThan(2 * px(before));
    before.dispose();
    after.dispose();
    policy.model.dispose();
  });

  it('Maximum-Entropy with a reference: objective/kl is still measured; without one it is absent', async () => {
    const entropy = { entropy: { coef: 0.05 } };
    const withRef = await run('ent-ref', { regularizer: entropy }, { reference: true });
    checkCommonMetrics(withRef.rows, 3);
    for (const r of withRef.rows) {
      expect(Number.isFinite(r['objective/kl'])).toBe(true);
      expect(r['objective/entropy_bonus']).toBeCloseTo(0.05 * r['objective/entropy']!, 6);
    }
    const noRef = await run('ent-noref', { regularizer: entropy }, { reference: false });
    checkCommonMetrics(noRef.rows, 3);
    for (const r of noRef.rows) expect('objective/kl' in r).toBe(false);
    withRef.policy.model.dispose();
    noRef.policy.model.dispose();
  });

  it('PPO with a value head: logs val metrics and saves a head that loads back', async () => {
    const steps = 3;
    const { dir, rows, policy } = await run(
      'ppo',
      {
        algorithm: 'ppo',
        steps,
        regularizer: { kl: { coef: 0.05 } },
        ppo: { epochs: 2, minibatchSize: 4 },
      },
      { reference: true, valueHead: true },
    );
    checkCommonMetrics(rows, steps);
    for (const r of rows)
      for (const k of [
        'loss/value_avg',
        'val/clipfrac_avg',
        'val/ratio',
        'loss/policy_avg',
        'policy/approxkl_avg',
      ])
        expect(Number.isFinite(r[k]), `${k} at step ${r.step}`).toBe(true);
    expect(existsSync(join(dir, 'model', 'value_head.safetensors'))).toBe(true);
    const loaded = await LMPolicy.load(join(dir, 'model'), { trainable: false, valueHead: true });
    expect(loaded.valueHead!.weight.toArray()).toEqual(policy.valueHead!.weight.toArray());
    expect(loaded.valueHead!.bias.toArray()).toEqual(policy.valueHead!.bias.toArray());
    // The head trained: it is no longer the freshly initialised one (bias 0).
    expect(policy.valueHead!.bias.toArray()[0]).not.toBe(0);
    expect(loaded.eosId).toBe(EOS_ID);
    loaded.model.dispose();
    policy.model.dispose();
  });
});
