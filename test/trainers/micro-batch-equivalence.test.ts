/**
 * Micro-batching is a memory knob, not a change of algorithm: the same PPO, RLOO and SFT runs with
 * every pass chunked (generation, scoring, gradient accumulation inside each minibatch) give the
 * same metrics and final weights as in one batch, up to float32 reduction order. The responses (and
 * SFT completions) have different lengths, so a micro-batch weighting of 1/n instead of by token
 * count would change the updates; a spy on the policy checks that the passes really were chunked.
 *
 * Tolerances, and why. Every difference comes from summing the same float32 terms in another order
 * (GEMMs over fewer rows, a loss mean split into weighted partial means): a few ulp per result
 * (float32 ε ≈ 1.2e-7). Metrics: 1e-5 relative (measured here: at most 8.4e-7). Weights after 3
 * AdamW steps at lr 1e-2: 1e-4 absolute, 1 % of one step's update (measured: at most 1.2e-5). AdamW
 * divides each coordinate's gradient by its own running RMS, so a coordinate whose gradient is a
 * near-cancelling sum turns relative rounding noise into update noise; the model therefore rotates
 * all head dims (rotaryPct 1): with partial rotary the non-rotated key-bias dims have an exactly
 * zero true gradient (softmax ignores a per-query constant), AdamW normalises pure rounding noise
 * there to steps of ±lr, and no float32 tolerance below lr would hold. The clip fractions count
 * ties: inside the clip range clip(V − V_old) + V_old differs from V only by rounding, so they are
 * compared to within 0.05 (one or two of ~60 tokens). Weighting micro-batches by 1/n instead of by
 * tokens changed objective/kl by 26 % and policy/kl_prev by 35 % here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SftExample } from '../../src/data/index.ts';
import { loadCausalLM } from '../../src/models/checkpoint/load-model.ts';
import { Tokenizer } from '../../src/models/tokenizer/index.ts';
import { isGradEnabled, type Tensor, tensor } from '../../src/tensor/index.ts';
import { LMPolicy, promptSource } from '../../src/trainers/adapters/index.ts';
import { SftConfigSchema } from '../../src/trainers/offline/config.ts';
import { trainSft } from '../../src/trainers/offline/sft.ts';
import { OnlineTrainConfigSchema } from '../../src/trainers/online/config.ts';
import { trainOnline } from '../../src/trainers/online/trainer.ts';
import type { Rollout } from '../../src/trainers/online/types.ts';
import {
  KEYS,
  type Metrics,
  NOISE,
  quietLog,
  readMetrics,
  tempDirs,
  VOCAB,
  writeToyModel,
} from './fixtures/toy-task.ts';

const tmp = tempDirs('micro');
let base = '';
beforeAll(async () => {
  base = await writeToyModel(tmp.make('base'), { seed: 17, wide: true, layers: 2, rotaryPct: 1 });
});
afterAll(() => tmp.cleanup());

const WEIGHT_TOLERANCE = 1e-4;
const METRIC_TOLERANCE = 1e-5;
const CLIPFRAC_TOLERANCE = 0.05;

/** Reward: the number of response tokens that are "x" or "v3", so rewards vary continuously. */
function reward(r: Rollout): Tensor {
  const ids = r.responseIds.toArray();
  const mask = r.responseMask.toArray();
  const [B, R] = r.responseIds.shape as [number, number];
  const hits = Array.from({ length: B }, (_, b) => {
    let n = 0;
    for (let t = 0; t < R; t++)
      if (mask[b * R + t]! > 0 && (ids[b * R + t] === VOCAB.x || ids[b * R + t] === VOCAB.v3)) n++;
    return n;
  });
  return tensor(hits, { dtype: 'float64' });
}

interface Spy {
  /** Largest batch of a no-grad scoring pass, and of a pass with autograd. */
  scoring: number;
  training: number;
  sampling: number;
}

async function runOnline(
  name: string,
  o: Record<string, unknown>,
): Promise<{ rows: Metrics[]; spy: Spy; dir: string }> {
  const dir = tmp.make(name);
  const policy = await LMPolicy.load(base, { trainable: true, valueHead: o.algorithm === 'ppo', seed: 4 });
  const reference = await LMPolicy.load(base, { trainable: false });
  const spy: Spy = { scoring: 0, training: 0, sampling: 0 };
  const score = policy.score.bind(policy);
  policy.score = (rollout, opts) => {
    const rows = rollout.responseIds.dim(0);
    if (isGradEnabled()) spy.training = Math.max(spy.training, rows);
    else spy.scoring = Math.max(spy.scoring, rows);
    return score(rollout, opts);
  };
  const sample = policy.sample.bind(policy);
  policy.sample = (prompts, opts) => {
    spy.sampling = Math.max(spy.sampling, opts.batchSize ?? prompts.ids.dim(0));
    return sample(prompts, opts);
  };
  const tokenizer = await Tokenizer.fromFolder(base);
  await trainOnline({
    runDir: dir,
    name,
    config: OnlineTrainConfigSchema.parse({
      steps: 3,
      lr: 1e-2,
      schedule: 'constant',
      temperature: 1,
      maxNewTokens: 6,
      missingEosPenalty: null,
      evalEvery: 0,
      checkpointEvery: 0,
      seed: 9,
      regularizer: { kl: { coef: 0.05 } },
      ...o,
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
  policy.model.dispose();
  policy.valueHead?.dispose();
  reference.model.dispose();
  return { rows: readMetrics(dir), spy, dir };
}

async function weights(dir: string): Promise<number[]> {
  const model = await loadCausalLM(join(dir, 'model'));
  const out = [...model.parameters().values()].flatMap((t) => t.toArray());
  model.dispose();
  return out;
}

function expectSameMetrics(a: Metrics[], b: Metrics[]): void {
  expect(b.map((r) => r.step)).toEqual(a.map((r) => r.step));
  for (const [i, row] of a.entries()) {
    expect(Object.keys(b[i]!).sort()).toEqual(Object.keys(row).sort());
    for (const [k, v] of Object.entries(row)) {
      const w = b[i]![k]!;
      const tolerance = k.includes('clipfrac')
        ? CLIPFRAC_TOLERANCE
        : METRIC_TOLERANCE * Math.max(1, Math.abs(v));
      expect(Math.abs(w - v), `step ${row.step} ${k}: ${v} vs ${w}`).toBeLessThanOrEqual(tolerance);
    }
  }
}

function maxDiff(a: number[], b: number[]): number {
  expect(b.length).toBe(a.length);
  return a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);
}

const CHUNKED = { rollout: { generationBatchSize: 3, scoreBatchSize: 5 }, microBatchSize: 3 };

describe('micro-batching changes nothing but memory', () => {
  for (const [algorithm, settings] of [
    ['ppo', { promptsPerStep: 16, ppo: { epochs: 2, minibatchSize: 8 } }],
    ['rloo', { promptsPerStep: 4, rloo: { k: 4, minibatchSize: 8, epochs: 2 } }],
  ] as const) {
    it(`${algorithm}: chunked generation, scoring and gradient accumulation give the same run`, async () => {
      const whole = await runOnline(`${algorithm}-whole`, { algorithm, ...settings });
      const chunked = await runOnline(`${algorithm}-chunked`, { algorithm, ...settings, ...CHUNKED });
      expect(whole.spy).toEqual({ scoring: 16, training: 8, sampling: 16 });
      expect(chunked.spy).toEqual({ scoring: 5, training: 3, sampling: 3 });
      // Responses of several lengths: token weights differ from row weights.
      const lengths = whole.rows.map((r) => r['response/length_mean']!);
      expect(lengths.some((l) => l < 6)).toBe(true);
      expectSameMetrics(whole.rows, chunked.rows);
      const [wa, wb] = [await weights(whole.dir), await weights(chunked.dir)];
      expect(maxDiff(wa, wb)).toBeLessThan(WEIGHT_TOLERANCE);
    });
  }
});

describe('offline micro-batches (SFT)', () => {
  /** Completions of 1–4 words, so micro-batches hold different numbers of completion tokens. */
  const rows: SftExample[] = NOISE.flatMap((n, i) =>
    KEYS.map((k, j) => ({
      prompt: `${n} ${k}`,
      completion: Array.from({ length: 1 + ((i + j) % 4) }, (_, w) => `v${(j + w) % 8}`).join(' '),
      row: i * KEYS.length + j + 1,
    })),
  );

  async function sft(name: string, o: Record<string, unknown>) {
    const out = tmp.make(name);
    const model = await loadCausalLM(base, { trainable: true });
    const tokenizer = await Tokenizer.fromFolder(base);
    await trainSft({
      config: SftConfigSchema.parse({
        model: base,
        out,
        data: { train: 'in-memory' },
        maxPromptTokens: 8,
        maxTotalTokens: 16,
        steps: 3,
        batchSize: 8,
        gradAccum: 2,
        evalEvery: 0,
        checkpointEvery: 0,
        optim: { lr: 1e-2, schedule: 'constant' },
        seed: 3,
        ...o,
      }),
      model,
      tokenizer,
      train: rows,
      eval: [],
      log: quietLog,
    });
    model.dispose();
    return { rows: readMetrics(out), dir: out };
  }

  it('microBatchSize 3 (token-weighted) equals whole batches of 8', async () => {
    const whole = await sft('sft-whole', {});
    const micro = await sft('sft-micro', { microBatchSize: 3 });
    expectSameMetrics(whole.rows, micro.rows);
    expect(maxDiff(await weights(whole.dir), await weights(micro.dir))).toBeLessThan(WEIGHT_TOLERANCE);
    const config = JSON.parse(readFileSync(join(micro.dir, 'run.json'), 'utf8')).config;
    expect(config.microBatchSize).toBe(3);
  });
});
