/**
 * The TL;DR PPO work's reward normalisation: after training, the mean reward on (prompt,
 * reference) pairs is subtracted from every reward and stored with the model; and PPO's critic
 * initialised from that reward model, whose value on the state after a response is exactly the
 * (normalised) reward of that response.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRewardModel } from '../../src/models/checkpoint/load-model.ts';
import { REWARD_NORMALIZATION_FILE } from '../../src/models/gptneox/snapshot-files.ts';
import type { RewardModel } from '../../src/models/model-family.ts';
import { Tokenizer } from '../../src/models/tokenizer/index.ts';
import { noGrad, tensor } from '../../src/tensor/index.ts';
import { RewardModelCritic } from '../../src/trainers/adapters/index.ts';
import { RewardModelConfigSchema } from '../../src/trainers/offline/config.ts';
import { trainRewardModel } from '../../src/trainers/offline/reward-model.ts';
import { normalizeRewardModel } from '../../src/trainers/offline/reward-normalization.ts';
import type { Rollout } from '../../src/trainers/online/types.ts';
import {
  EOS_ID,
  idsOf,
  mean,
  quietLog,
  tempDirs,
  toyPreferences,
  toySft,
  writeToyModel,
} from './fixtures/toy-task.ts';

const tmp = tempDirs('rm-norm');
afterAll(() => tmp.cleanup());

/** Reward of prompt + response + EOS, one unpadded sequence at a time (independent of batching). */
function reward(model: RewardModel, prompt: string, response: string): number {
  const ids = [...idsOf(prompt), ...idsOf(response), EOS_ID];
  return noGrad(() =>
    model.rewards(tensor([ids], { dtype: 'int64' }), tensor([Array<number>(ids.length).fill(1)])).item(),
  );
}

const limits = { maxPromptTokens: 8, maxTotalTokens: 12, batchSize: 5 };

describe('reward normalisation', () => {
  it('subtracts the mean reference reward: references then score 0 on average; saved and loaded with the model', async () => {
    const base = await writeToyModel(tmp.make('base'), { seed: 3, wide: true });
    const model = await loadRewardModel(base, { initScoreSeed: 4 });
    const tokenizer = await Tokenizer.fromFolder(base);
    const references = toySft('train');
    const raw = references.map((r) => reward(model, r.prompt, r.completion));
    const m = normalizeRewardModel(model, tokenizer, references, { ...limits, source: 'toy' });
    expect(m.mean).toBeCloseTo(mean(raw), 6);
    expect(Math.abs(m.mean)).toBeGreaterThan(1e-3); // the test can tell a shift from none
    const after = references.map((r) => reward(model, r.prompt, r.completion));
    expect(mean(after)).toBeCloseTo(0, 6);
    after.forEach((a, i) => {
      expect(a).toBeCloseTo(raw[i]! - m.mean, 6);
    });

    const dir = tmp.make('normalized');
    await model.save(dir);
    const file = JSON.parse(readFileSync(join(dir, REWARD_NORMALIZATION_FILE), 'utf8'));
    expect(file).toMatchObject({ bias: m.mean, source: 'toy', count: references.length });
    // config.json stays an HF sequence-classification config (HF ignores the side file).
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))).not.toHaveProperty('bias');
    const loaded = await loadRewardModel(dir);
    expect(loaded.rewardBias).toBe(m.mean);
    expect(reward(loaded, references[0]!.prompt, references[0]!.completion)).toBeCloseTo(after[0]!, 6);

    // Saving without a bias removes a stale file.
    loaded.rewardBias = 0;
    await loaded.save(dir);
    expect(existsSync(join(dir, REWARD_NORMALIZATION_FILE))).toBe(false);
    model.dispose();
    loaded.dispose();
  });

  it('a corrupt normalisation file is an error naming it', async () => {
    const dir = tmp.make('corrupt');
    const base = await writeToyModel(tmp.make('base2'), { seed: 5 });
    const model = await loadRewardModel(base, { initScoreSeed: 1 });
    model.rewardBias = 0.5;
    await model.save(dir);
    model.dispose();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, REWARD_NORMALIZATION_FILE), '{"bias": "high"}');
    await expect(loadRewardModel(dir)).rejects.toThrow(/reward_normalization\.json: field "bias"/);
  });

  it('trainRewardModel with normalizeOn stores the bias measured after the last step', async () => {
    const base = await writeToyModel(tmp.make('base3'), { seed: 31 });
    const model = await loadRewardModel(base, { trainable: true, initScoreSeed: 1 });
    const tokenizer = await Tokenizer.fromFolder(base);
    const out = tmp.make('rm-run');
    const references = toySft('eval');
    await trainRewardModel({
      config: RewardModelConfigSchema.parse({
        model: base,
        out,
        data: { train: 'unused.jsonl' },
        maxPromptTokens: 8,
        maxTotalTokens: 12,
        steps: 5,
        batchSize: 8,
        optim: { lr: 1e-3 },
        evalEvery: 0,
        checkpointEvery: 0,
        normalize: { data: 'toy-sft-eval.jsonl' },
      }),
      model,
      tokenizer,
      train: toyPreferences('train', 2),
      eval: [],
      normalizeOn: references,
      log: quietLog,
    });
    const saved = await loadRewardModel(join(out, 'model'));
    expect(saved.rewardBias).not.toBe(0);
    expect(mean(references.map((r) => reward(saved, r.prompt, r.completion)))).toBeCloseTo(0, 5);
    expect(JSON.parse(readFileSync(join(out, 'model', REWARD_NORMALIZATION_FILE), 'utf8')).source).toBe(
      'toy-sft-eval.jsonl',
    );
    model.dispose();
    saved.dispose();
  });
});

describe('PPO critic initialised from the reward model', () => {
  it('V on the state after each response is its normalised reward; 0 past it; names prefixed', async () => {
    const base = await writeToyModel(tmp.make('base4'), { seed: 7, wide: true });
    const rm = await loadRewardModel(base, { initScoreSeed: 2 });
    rm.rewardBias = 0.25;
    const critic = new RewardModelCritic(rm);
    // Two left-padded prompts; responses of 2 tokens (then EOS) and 4 tokens (no room after).
    const p0 = idsOf('n0 k1');
    const p1 = idsOf('n1 n2 k3');
    const r0 = [...idsOf('v1 x'), EOS_ID, EOS_ID];
    const r1 = idsOf('v2 v3 y z');
    const rollout: Rollout = {
      prompts: {
        ids: tensor([[0, ...p0], p1], { dtype: 'int64' }),
        mask: tensor([
          [0, 1, 1],
          [1, 1, 1],
        ]),
        index: [0, 1],
      },
      responseIds: tensor([r0, r1], { dtype: 'int64' }),
      responseMask: tensor([
        [1, 1, 1, 0],
        [1, 1, 1, 1],
      ]),
      endedWithEos: tensor([1, 0], { dtype: 'bool' }),
    };
    const values = noGrad(() => critic.values(rollout)).toArray();
    const alone = (ids: number[]) =>
      noGrad(() => rm.rewards(tensor([ids], { dtype: 'int64' }), tensor([ids.map(() => 1)])).item());
    // Row 0: the position after its 3 tokens (index 3) reads the state the RM scores.
    expect(values[3]).toBeCloseTo(alone([...p0, ...idsOf('v1 x'), EOS_ID]), 5);
    // Every position t is V of the prefix before token t: here the prompt alone at t = 0.
    expect(values[0]).toBeCloseTo(alone(p0), 5);
    // Row 1 fills the width: its last value is the state before its last token, nothing after.
    expect(values[7]).toBeCloseTo(alone([...p1, ...idsOf('v2 v3 y')]), 5);
    expect([...critic.parameters().keys()].every((k) => k.startsWith('critic.'))).toBe(true);
    rm.dispose();
  });
});
