/**
 * Micro-batching stays a memory knob for the new estimators: GRPO (a per-response mean, weighted by
 * rows), Dr. GRPO (a sum over a constant, by rows), GRPO's token-mean option and REINFORCE++ (by
 * tokens), TRL's sequence-ratio RLOO (by rows) give the same metrics and weights with every pass
 * chunked as in one batch. Tolerances and their reasons: test/trainers/micro-batch-equivalence.test.ts
 * (float32 reduction order only; the model rotates all head dims).
 */
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
  KEYS,
  type Metrics,
  NOISE,
  quietLog,
  readMetrics,
  tempDirs,
  VOCAB,
  writeToyModel,
} from './fixtures/toy-task.ts';

const tmp = tempDirs('micro-estimators');
let base = '';
beforeAll(async () => {
  base = await writeToyModel(tmp.make('base'), { seed: 17, wide: true, layers: 2, rotaryPct: 1 });
});
afterAll(() => tmp.cleanup());

/** The number of response tokens that are "x" or "v3": rewards that vary. */
function reward(r: Rollout): Tensor {
  const ids = r.responseIds.toArray();
  const mask = r.responseMask.toArray();
  const [B, R] = r.responseIds.shape as [number, number];
  return tensor(
    Array.from({ length: B }, (_, b) => {
      let n = 0;
      for (let t = 0; t < R; t++)
        if (mask[b * R + t]! > 0 && (ids[b * R + t] === VOCAB.x || ids[b * R + t] === VOCAB.v3)) n++;
      return n;
    }),
    { dtype: 'float64' },
  );
}

async function run(
  name: string,
  o: Record<string, unknown>,
): Promise<{ rows: Metrics[]; weights: number[] }> {
  const dir = tmp.make(name);
  const policy = await LMPolicy.load(base, { trainable: true, seed: 4 });
  const reference = await LMPolicy.load(base, { trainable: false });
  const tokenizer = await Tokenizer.fromFolder(base);
  await trainOnline({
    runDir: dir,
    name,
    config: OnlineTrainConfigSchema.parse({
      steps: 3,
      promptsPerStep: 4,
      lr: 1e-2,
      schedule: 'constant',
      temperature: 1,
      maxNewTokens: 6,
      missingEosPenalty: null,
      evalEvery: 0,
      checkpointEvery: 0,
      seed: 9,
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
  reference.model.dispose();
  const model = await loadCausalLM(join(dir, 'model'));
  const weights = [...model.parameters().values()].flatMap((t) => t.toArray());
  model.dispose();
  return { rows: readMetrics(dir), weights };
}

const CHUNKED = { rollout: { generationBatchSize: 3, scoreBatchSize: 5 }, microBatchSize: 3 };
// A loss-placed term with a non-zero gradient from the first step, so that its aggregation is
// exercised: k3 in the loss starts at π = π_ref, where its gradient vanishes and AdamW's first
// step turns float32 rounding into ±lr updates (see micro-batch-equivalence.test.ts).
const klReward = { kl: { coef: 0.05 } };
const lossPlaced = { ...klReward, entropy: { coef: 0.05, estimator: 'exact', placement: 'loss' } };

describe('micro-batches of the new estimators', () => {
  it.each([
    [
      'GRPO (per-response mean)',
      { algorithm: 'grpo', grpo: { groupSize: 4, minibatchSize: 8, epochs: 2 }, regularizer: lossPlaced },
    ],
    [
      'Dr. GRPO (constant normaliser)',
      {
        algorithm: 'grpo',
        grpo: { groupSize: 4, minibatchSize: 8, scaleRewards: false, lossAggregation: 'constant' },
        regularizer: lossPlaced,
      },
    ],
    [
      'GRPO token-mean',
      {
        algorithm: 'grpo',
        grpo: { groupSize: 4, minibatchSize: 8, lossAggregation: 'token-mean' },
        regularizer: lossPlaced,
      },
    ],
    [
      'REINFORCE++-baseline',
      {
        algorithm: 'reinforce++',
        reinforcePlusPlus: { baseline: 'group-mean', samplesPerPrompt: 4, minibatchSize: 8, epochs: 2 },
        regularizer: klReward,
      },
    ],
    [
      'RLOO, sequence ratio',
      {
        algorithm: 'rloo',
        rloo: { k: 4, ratio: 'sequence', minibatchSize: 8, epochs: 2 },
        regularizer: lossPlaced,
      },
    ],
  ])('%s: chunked passes give the same run', async (name, o) => {
    const slug = name.replace(/\W+/g, '-');
    const whole = await run(`${slug}-whole`, o);
    const chunked = await run(`${slug}-chunked`, { ...o, ...CHUNKED });
    expect(whole.rows.map((r) => r['response/length_mean']).some((l) => l! < 6)).toBe(true);
    for (const [i, row] of whole.rows.entries())
      for (const [k, v] of Object.entries(row)) {
        const tolerance = k.includes('clipfrac') ? 0.05 : 1e-5 * Math.max(1, Math.abs(v));
        expect(Math.abs(chunked.rows[i]![k]! - v), `step ${row.step} ${k}`).toBeLessThanOrEqual(tolerance);
      }
    const diff = whole.weights.reduce((m, x, i) => Math.max(m, Math.abs(x - chunked.weights[i]!)), 0);
    expect(diff).toBeLessThan(1e-4);
  });
});
