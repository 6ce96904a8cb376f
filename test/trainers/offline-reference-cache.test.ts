/**
 * Reference log-probs of the reference-based preference losses (DPO here): loaded once, cached in
 * RUN/cache, equal to log-probs computed in the test (float64, one unpadded sequence at a time),
 * reused on resume without loading the reference again, and reported as `ref/logratio`.
 * Reference-free losses need no reference at all.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCausalLM } from '../../src/models/checkpoint/load-model.ts';
import { Tokenizer } from '../../src/models/tokenizer/index.ts';
import { PreferenceConfigSchema } from '../../src/trainers/offline/config.ts';
import type { CausalLM } from '../../src/trainers/offline/lm.ts';
import { trainPreference } from '../../src/trainers/offline/preference.ts';
import {
  type Metrics,
  maxAbsDiff,
  mean,
  quietLog,
  readMetrics,
  sequenceLogp64,
  tempDirs,
  toyPreferences,
  VOCAB_SIZE,
  writeToyModel,
} from './fixtures/toy-task.ts';

const tmp = tempDirs('ref-cache');
const train = toyPreferences('train', 3); // 72 pairs
const heldOut = toyPreferences('eval', 3); // 24 pairs
const BATCH = 24; // steps 1..3 are exactly one epoch of the 72 training pairs
const TOL = 1e-4; // float32 model and cache vs float64 log-softmax here

let base = '';
let out = '';
let loads = 0;
let messages: string[] = [];
/** Independent float64 reference log-probs of every training and held-out pair. */
let refTrain: { chosen: number[]; rejected: number[] };
let refEval: { chosen: number[]; rejected: number[] };

function config(steps: number, overrides: Record<string, unknown> = {}) {
  return PreferenceConfigSchema.parse({
    model: base,
    out,
    data: { train: 'in-memory' },
    loss: 'dpo',
    beta: 0.1,
    maxPromptTokens: 8,
    maxTotalTokens: 16,
    steps,
    batchSize: BATCH,
    optim: { lr: 3e-3, schedule: 'constant' },
    evalEvery: 0,
    checkpointEvery: 0,
    seed: 4,
    ...overrides,
  });
}

async function runDpo(steps: number): Promise<void> {
  const policy = await loadCausalLM(base, { trainable: true });
  await trainPreference({
    config: config(steps),
    policy,
    tokenizer: await Tokenizer.fromFolder(base),
    train,
    eval: heldOut,
    log: (m) => messages.push(m),
    referenceDir: base,
    loadReference: async (): Promise<CausalLM> => {
      loads++;
      return loadCausalLM(base);
    },
  });
  policy.dispose();
}

function cacheFiles(): { chosen: number[]; rejected: number[] }[] {
  return readdirSync(join(out, 'cache'))
    .filter((f) => /^ref-logps-[0-9a-f]+\.json$/.test(f))
    .map((f) => JSON.parse(readFileSync(join(out, 'cache', f), 'utf8')));
}

beforeAll(async () => {
  base = await writeToyModel(tmp.make('base'), { seed: 9 });
  out = tmp.make('dpo');
  const ref = await loadCausalLM(base);
  const logps = (rows: typeof train) => ({
    chosen: rows.map((p) => sequenceLogp64(ref, p.prompt, p.chosen)),
    rejected: rows.map((p) => sequenceLogp64(ref, p.prompt, p.rejected)),
  });
  refTrain = logps(train);
  refEval = logps(heldOut);
  ref.dispose();
  await runDpo(6);
});
afterAll(() => tmp.cleanup());

describe('DPO reference log-probs', () => {
  it('load the reference model once for the train and eval caches', () => {
    expect(loads).toBe(1);
    expect(messages.filter((m) => m.includes('computed for')).length).toBe(2);
  });

  it('are cached with the values of an independent float64 computation', () => {
    const files = cacheFiles();
    expect(files.map((f) => f.chosen.length).sort((a, b) => a - b)).toEqual([heldOut.length, train.length]);
    for (const f of files) {
      const expected = f.chosen.length === train.length ? refTrain : refEval;
      expect(f.rejected.length).toBe(f.chosen.length);
      expect(maxAbsDiff(f.chosen, expected.chosen)).toBeLessThan(TOL);
      expect(maxAbsDiff(f.rejected, expected.rejected)).toBeLessThan(TOL);
    }
    // Sanity of the comparison: two tokens (word + EOS) under HF's near-uniform initial logits,
    // yet pairs differ by far more than the tolerance.
    expect(Math.abs(mean(refTrain.chosen) + 2 * Math.log(VOCAB_SIZE))).toBeLessThan(0.5);
    expect(maxAbsDiff(refTrain.chosen, refTrain.rejected)).toBeGreaterThan(100 * TOL);
  });

  it('ref/logratio: over one epoch its mean is the mean reference log-ratio of all pairs', () => {
    const rows = readMetrics(out);
    const epoch = rows.filter((r) => r.step <= train.length / BATCH);
    expect(epoch.length).toBe(3);
    const logged = mean(epoch.map((r) => r['ref/logratio']!));
    const expected = mean(refTrain.chosen.map((c, i) => c - refTrain.rejected[i]!));
    expect(Math.abs(logged - expected)).toBeLessThan(TOL);
  });

  it('step 1 (policy = reference): zero implicit rewards, and policy log-ratio = ref/logratio', () => {
    const s1 = readMetrics(out)[0] as Metrics;
    expect(s1.step).toBe(1);
    expect(Math.abs(s1['rewards/chosen']!)).toBeLessThan(1e-5);
    expect(Math.abs(s1['rewards/rejected']!)).toBeLessThan(1e-5);
    expect(s1['rewards/accuracies']).toBeLessThanOrEqual(0.5);
    expect(Math.abs(s1['logps/chosen']! - s1['logps/rejected']! - s1['ref/logratio']!)).toBeLessThan(TOL);
    expect(Math.abs(s1.loss! - Math.log(2))).toBeLessThan(1e-5);
  });

  it('a resumed run reuses the cache: the reference is not loaded again', async () => {
    messages = [];
    await runDpo(9);
    expect(loads).toBe(1);
    expect(messages.filter((m) => m.includes('using cache')).length).toBe(2);
    expect(messages.some((m) => m.includes('resumed'))).toBe(true);
    const rows = readMetrics(out);
    expect(rows.map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(rows.every((r) => typeof r['ref/logratio'] === 'number')).toBe(true);
    expect(cacheFiles().length).toBe(2);
  });
});

describe('a run shorter than an epoch', () => {
  it('runs the reference model on the pairs it draws only, and trains as with every pair computed', async () => {
    const run = async (dir: string, steps: number) => {
      const log: string[] = [];
      const policy = await loadCausalLM(base, { trainable: true });
      await trainPreference({
        config: { ...config(steps), out: dir },
        policy,
        tokenizer: await Tokenizer.fromFolder(base),
        train,
        eval: [],
        log: (m) => log.push(m),
        referenceDir: base,
        loadReference: () => loadCausalLM(base),
      });
      policy.dispose();
      return { log, rows: readMetrics(dir) };
    };
    // 2 steps × 24 draw 48 of the 72 pairs (one epoch's permutation, no repeats); 3 steps draw all.
    const partial = await run(tmp.make('partial-epoch'), 2);
    const whole = await run(tmp.make('whole-epoch'), 3);
    expect(partial.log.filter((m) => m.includes('computed for 48 pairs'))).toHaveLength(1);
    expect(whole.log.filter((m) => m.includes(`computed for ${train.length} pairs`))).toHaveLength(1);
    // The same first two steps (constant learning rate): a pair given the wrong reference value, or
    // none (NaN), would change these.
    expect(partial.rows).toHaveLength(2);
    for (const [i, row] of partial.rows.entries())
      for (const k of ['loss', 'ref/logratio', 'rewards/margins', 'grad_norm'])
        expect(Math.abs(row[k]! - whole.rows[i]![k]!), `step ${i + 1} ${k}`).toBeLessThan(1e-5);
  });
});

describe('reference-free and reference-based losses without a reference loader', () => {
  it('SimPO, CPO and ORPO train with no reference at all', async () => {
    for (const loss of ['simpo', 'cpo', 'orpo'] as const) {
      const dir = tmp.make(`noref-${loss}`);
      const policy = await loadCausalLM(base, { trainable: true });
      await trainPreference({
        config: { ...config(2), out: dir, loss },
        policy,
        tokenizer: await Tokenizer.fromFolder(base),
        train,
        eval: [],
        log: quietLog,
      });
      const rows = readMetrics(dir);
      expect(rows.length).toBe(2);
      expect(rows.some((r) => 'ref/logratio' in r)).toBe(false);
      policy.dispose();
    }
  });

  it("DPO loads the config's `reference` snapshot (not the policy's), frozen", async () => {
    // A second model: its log-probs differ from the starting model's, so using the wrong one shows.
    const other = await writeToyModel(tmp.make('other-reference'), { seed: 10 });
    const otherModel = await loadCausalLM(other);
    const otherLogratio = mean(
      train.map(
        (p) =>
          sequenceLogp64(otherModel, p.prompt, p.chosen) - sequenceLogp64(otherModel, p.prompt, p.rejected),
      ),
    );
    otherModel.dispose();
    const ownLogratio = mean(refTrain.chosen.map((c, i) => c - refTrain.rejected[i]!));
    expect(Math.abs(otherLogratio - ownLogratio)).toBeGreaterThan(100 * TOL);
    const dir = tmp.make('config-reference');
    const policy = await loadCausalLM(base, { trainable: true });
    await trainPreference({
      // Three steps of 24: one epoch of the 72 pairs, so ref/logratio averages to the whole set's.
      config: { ...config(3), out: dir, reference: other },
      policy,
      tokenizer: await Tokenizer.fromFolder(base),
      train,
      eval: [],
      log: quietLog,
    });
    policy.dispose();
    const logged = mean(readMetrics(dir).map((r) => r['ref/logratio']!));
    expect(Math.abs(logged - otherLogratio)).toBeLessThan(TOL);
  });
});
