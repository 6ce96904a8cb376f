/**
 * The new estimators with a real language model (LMPolicy over a tiny GPT-NeoX), the reward +1 when
 * a response contains "x" (as test/trainers/online-lm.test.ts): GRPO, Dr. GRPO, REINFORCE++ (with
 * its baseline) and TRL's sequence-ratio RLOO raise the reward on multi-token responses; PPO with a
 * critic initialised from a reward model and the TL;DR score placement trains that critic, saves
 * it, and resumes it from a checkpoint.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRewardModel } from '../../src/models/checkpoint/load-model.ts';
import { Tokenizer } from '../../src/models/tokenizer/index.ts';
import { type Tensor, tensor } from '../../src/tensor/index.ts';
import { LMPolicy, promptSource, RewardModelCritic } from '../../src/trainers/adapters/index.ts';
import { OnlineTrainConfigSchema } from '../../src/trainers/online/config.ts';
import { trainOnline } from '../../src/trainers/online/trainer.ts';
import type { Rollout } from '../../src/trainers/online/types.ts';
import {
  firstLast,
  KEYS,
  NOISE,
  quietLog,
  readMetrics,
  tempDirs,
  VOCAB,
  writeToyModel,
} from './fixtures/toy-task.ts';

const tmp = tempDirs('online-lm-estimators');
const TARGET = VOCAB.x!;
const PROMPTS = NOISE.flatMap((n) => KEYS.map((k) => `${n} ${k}`));
let base = '';
let rmDir = '';

function containsTarget(r: Rollout): Tensor {
  const ids = r.responseIds.toArray();
  const mask = r.responseMask.toArray();
  const [B, R] = r.responseIds.shape as [number, number];
  return tensor(
    Array.from({ length: B }, (_, b) => {
      for (let t = 0; t < R; t++) if (mask[b * R + t]! > 0 && ids[b * R + t] === TARGET) return 1;
      return 0;
    }),
    { dtype: 'float64' },
  );
}

async function run(
  name: string,
  o: Record<string, unknown>,
  critic?: () => Promise<RewardModelCritic>,
  dir = tmp.make(name),
) {
  const policy = await LMPolicy.load(base, {
    trainable: true,
    valueHead: o.algorithm === 'ppo' && !critic,
    seed: 2,
  });
  const reference = await LMPolicy.load(base, { trainable: false });
  const tokenizer = await Tokenizer.fromFolder(base);
  const c = critic ? await critic() : null;
  const config = OnlineTrainConfigSchema.parse({
    steps: 12,
    promptsPerStep: 8,
    lr: 1e-2,
    schedule: 'constant',
    temperature: 1,
    maxNewTokens: 4,
    missingEosPenalty: null,
    evalEvery: 0,
    checkpointEvery: 0,
    seed: 6,
    regularizer: { kl: { coef: 0.01 } },
    ...o,
  });
  await trainOnline({
    runDir: dir,
    name,
    config,
    policy,
    reference,
    critic: c,
    reward: containsTarget,
    prompts: promptSource(tokenizer, PROMPTS, 8),
    log: quietLog,
  });
  policy.model.dispose();
  reference.model.dispose();
  return { dir, rows: readMetrics(dir), critic: c };
}

beforeAll(async () => {
  base = await writeToyModel(tmp.make('base'), { seed: 13 });
  const rm = await loadRewardModel(base, { initScoreSeed: 3 });
  rm.rewardBias = 0.1;
  rmDir = tmp.make('rm');
  await rm.save(rmDir);
  rm.dispose();
});
afterAll(() => tmp.cleanup());

const small = { epochs: 1, minibatchSize: 16 };
describe('the estimators on a GPT-NeoX policy', () => {
  it.each([
    [
      'GRPO',
      {
        algorithm: 'grpo',
        grpo: { groupSize: 4, ...small },
        regularizer: { kl: { coef: 0.01, estimator: 'k3', placement: 'loss' } },
      },
    ],
    [
      'Dr. GRPO',
      {
        algorithm: 'grpo',
        grpo: { groupSize: 4, scaleRewards: false, lossAggregation: 'constant', ...small },
      },
    ],
    ['REINFORCE++', { algorithm: 'reinforce++', promptsPerStep: 32, reinforcePlusPlus: small }],
    [
      'REINFORCE++-baseline',
      {
        algorithm: 'reinforce++',
        reinforcePlusPlus: { baseline: 'group-mean', samplesPerPrompt: 4, ...small },
      },
    ],
    [
      'RLOO (sequence ratio)',
      { algorithm: 'rloo', rloo: { k: 4, ratio: 'sequence', epochs: 2, minibatchSize: 16 } },
    ],
  ])('%s raises the reward', async (name, o) => {
    const { rows } = await run(name.replace(/\W+/g, '-'), o);
    expect(rows).toHaveLength(12);
    for (const r of rows)
      for (const k of ['loss/policy_avg', 'policy/approxkl_avg', 'objective/kl'])
        expect(Number.isFinite(r[k]), `${k} at step ${r.step}`).toBe(true);
    const s = firstLast(rows, 'objective/scores', 3);
    expect(s.last).toBeGreaterThan(s.first + 0.2);
  });

  it('PPO with a reward-model critic and the TL;DR score placement trains, saves and resumes the critic', async () => {
    const o = {
      algorithm: 'ppo',
      steps: 2,
      checkpointEvery: 1,
      ppo: { epochs: 2, minibatchSize: 8, critic: 'reward-model', scorePlacement: 'after-last-token' },
    };
    const load = async () => new RewardModelCritic(await loadRewardModel(rmDir, { trainable: true }));
    const first = await run('ppo-critic', o, load);
    for (const r of first.rows)
      for (const k of ['loss/value_avg', 'val/clipfrac_avg'])
        expect(Number.isFinite(r[k]), `${k} at step ${r.step}`).toBe(true);
    const saved = await loadRewardModel(join(first.dir, 'model', 'critic'));
    expect(saved.rewardBias).toBe(0.1);
    const initial = await loadRewardModel(rmDir);
    expect(saved.score.toArray()).not.toEqual(initial.score.toArray()); // the critic trained
    expect(first.critic!.model.score.toArray()).toEqual(saved.score.toArray());
    expect(existsSync(join(first.dir, 'model', 'value_head.safetensors'))).toBe(false);
    // Resuming the finished run restores the trained critic from its checkpoint (a fresh one from
    // the reward model is passed in) and saves it again.
    const again = await run('ppo-critic', o, load, first.dir);
    expect(again.critic!.model.score.toArray()).toEqual(saved.score.toArray());
    saved.dispose();
    initial.dispose();
    first.critic!.model.dispose();
    again.critic!.model.dispose();
  });

  it('a critic config without a critic (or a critic nobody uses) is an error', async () => {
    await expect(run('no-critic', { algorithm: 'ppo', ppo: { critic: 'reward-model' } })).rejects.toThrow(
      /needs a critic/,
    );
    const load = async () => new RewardModelCritic(await loadRewardModel(rmDir, { trainable: true }));
    await expect(run('unused-critic', { algorithm: 'rloo', rloo: { k: 2 } }, load)).rejects.toThrow(/unused/);
  });
});
