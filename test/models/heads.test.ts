/**
 * Heads: the scalar reward head (HF GPTNeoXForSequenceClassification, read at the last real token
 * of each row per the attention mask) and PPO's per-token value head; both saved and loaded.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrInitValueHead, loadRewardModel } from '../../src/models/checkpoint/load-model.ts';
import { GPTNeoXForCausalLM, GPTNeoXRewardModel } from '../../src/models/gptneox/model.ts';
import { StateDictMismatchError } from '../../src/models/gptneox/state-dict-check.ts';
import { ValueHead } from '../../src/models/gptneox/value-head.ts';
import { Generator, noGrad } from '../../src/tensor/index.ts';
import { expectClose } from '../tensor/reference.ts';
import { int64, tempDir, tinyConfig, wideRandomState } from './model-fixtures.ts';

const config = tinyConfig();
const reward = new GPTNeoXRewardModel(config, wideRandomState(config, 'reward-model', 1));
let root: Awaited<ReturnType<typeof tempDir>>;

beforeAll(async () => {
  root = await tempDir('gptneox-heads-');
});
afterAll(() => root.remove());

/** score · h_last computed by hand from the trunk's hidden state of one unpadded sequence. */
function handReward(ids: number[]): number {
  const hidden = noGrad(() => reward.gptNeox.forward(int64([ids])).hidden);
  const last = hidden.select(1, ids.length - 1).toArray();
  const w = reward.score.toArray();
  return last.reduce((s, h, i) => s + h * w[i]!, 0);
}

describe('reward head', () => {
  const a = [5, 6, 7, 8, 9];
  const b = [11, 12, 13];

  it('reads each row at its last real token, with right or left padding', () => {
    const expected = [handReward(a), handReward(b)];
    const right = noGrad(() =>
      reward.rewards(
        int64([a, [...b, 0, 0]]),
        int64([
          [1, 1, 1, 1, 1],
          [1, 1, 1, 0, 0],
        ]),
      ),
    );
    const left = noGrad(() =>
      reward.rewards(
        int64([a, [0, 0, ...b]]),
        int64([
          [1, 1, 1, 1, 1],
          [0, 0, 1, 1, 1],
        ]),
      ),
    );
    expect(right.shape).toEqual([2]);
    expectClose(right.toArray(), expected, 1e-5);
    expectClose(left.toArray(), expected, 1e-5);
  });

  it('ignores what stands in the padding (and would not if it read the last column)', () => {
    const mask = int64([[1, 1, 1, 0, 0]]);
    const r1 = noGrad(() => reward.rewards(int64([[...b, 0, 0]]), mask)).item();
    const r2 = noGrad(() => reward.rewards(int64([[...b, 40, 41]]), mask)).item();
    expect(r2).toBeCloseTo(r1, 5);
    const lastColumn = noGrad(() => reward.rewards(int64([[...b, 40, 41]]), int64([[1, 1, 1, 1, 1]]))).item();
    expect(Math.abs(lastColumn - r1)).toBeGreaterThan(1e-3);
  });

  it('saves as GPTNeoXForSequenceClassification and loads back', async () => {
    const dir = join(root.path, 'reward');
    await reward.save(dir);
    const json = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    expect(json).toMatchObject({
      architectures: ['GPTNeoXForSequenceClassification'],
      id2label: { '0': 'LABEL_0' },
      pad_token_id: 0,
    });
    const loaded = await loadRewardModel(dir);
    expect(loaded.score.equal(reward.score)).toBe(true);
    const ids = int64([a]);
    const mask = int64([[1, 1, 1, 1, 1]]);
    expect(noGrad(() => loaded.rewards(ids, mask)).item()).toBeCloseTo(
      noGrad(() => reward.rewards(ids, mask)).item(),
      6,
    );
  });

  it('starts from a causal-LM snapshot only when asked to initialise the score', async () => {
    const dir = join(root.path, 'policy');
    const lm = new GPTNeoXForCausalLM(config, wideRandomState(config, 'causal-lm', 2));
    await lm.save(dir);
    const error = await loadRewardModel(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateDictMismatchError);
    expect((error as StateDictMismatchError).problems).toMatchObject({
      missing: ['score.weight'],
      unexpected: ['embed_out.weight'],
    });
    const fresh = await loadRewardModel(dir, { initScoreSeed: 3, trainable: true });
    const embedIn = (m: typeof fresh | typeof lm) => m.parameters().get('gpt_neox.embed_in.weight')!;
    expect(embedIn(fresh).equal(embedIn(lm))).toBe(true);
    expect(fresh.score.shape).toEqual([1, 32]);
    expect(fresh.score.requiresGrad).toBe(true);
    const std = Math.sqrt(fresh.score.toArray().reduce((s, v) => s + v * v, 0) / 32);
    expect(std).toBeGreaterThan(0.01);
    expect(std).toBeLessThan(0.04); // N(0, 0.02²)
  });
});

describe('value head', () => {
  it('gives one value per position: h·w + b', () => {
    const head = ValueHead.init(32, new Generator(4));
    const hidden = noGrad(() => reward.gptNeox.forward(int64([[1, 2, 3]])).hidden);
    const values = head.values(hidden);
    expect(values.shape).toEqual([1, 3]);
    const w = head.weight.toArray();
    const h = hidden.toArray();
    const expected = [0, 1, 2].map((t) => w.reduce((s, wi, i) => s + wi * h[t * 32 + i]!, 0));
    expectClose(values.toArray(), expected, 1e-6);
  });

  it('saves beside a snapshot and loads back; initialises when absent', async () => {
    const dir = join(root.path, 'value');
    const head = ValueHead.init(32, new Generator(5));
    head.bias.fill_(0.5);
    await head.save(dir);
    const loaded = await loadOrInitValueHead(dir, config, 0, { trainable: true });
    expect(loaded.weight.equal(head.weight)).toBe(true);
    expect(loaded.bias.item()).toBe(0.5);
    expect(loaded.weight.requiresGrad).toBe(true);
    const fresh = await loadOrInitValueHead(join(root.path, 'empty'), config, 7);
    expect(fresh.weight.equal(ValueHead.init(32, new Generator(7)).weight)).toBe(true);
    await expect(loadOrInitValueHead(dir, tinyConfig({ hiddenSize: 64 }), 0)).rejects.toThrow(
      /value head width 32 ≠ hidden_size 64/,
    );
  });
});
