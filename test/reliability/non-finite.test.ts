/**
 * NaN/Inf guards in the online trainer: a reward of NaN (or ±Inf) at step N stops training with a
 * NonFiniteError naming the step and the last good checkpoint, and nothing is written after it
 * (no checkpoint, no metrics line for step N); with nonFinite: 'skip' the run completes, the
 * update of step N is skipped (weights unchanged across it) and every other update happens.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointManager } from '../../src/runs/checkpoint.ts';
import { tensor } from '../../src/tensor/index.ts';
import { NonFiniteError, TooManySkippedError } from '../../src/trainers/common/guards.ts';
import { TrainingSession } from '../../src/trainers/common/session.ts';
import { banditConfig, runBandit, uniformPolicy } from './fixtures/bandit.ts';
import { loggedSteps } from './fixtures/child.ts';
import { rawTensors } from './fixtures/compare.ts';

const root = mkdtempSync(join(tmpdir(), 'reliability-nan-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const fresh = () => join(root, `r${counter++}`);
const checkpointNames = (run: string) => readdirSync(join(run, 'checkpoints')).sort();

describe("nonFinite: 'stop'", () => {
  for (const [label, bad, step] of [
    ['NaN reward at a checkpoint step (9)', Number.NaN, 9],
    ['NaN reward between checkpoints (8)', Number.NaN, 8],
    ['+Inf reward (step 5)', Number.POSITIVE_INFINITY, 5],
  ] as const) {
    it(`${label}: NonFiniteError naming the step and the last good checkpoint; nothing saved after it`, async () => {
      const run = fresh();
      const config = banditConfig({ steps: 20, checkpointEvery: 3, keepCheckpoints: 2 });
      const good = Math.floor((step - 1) / 3) * 3;
      const goodName = `step-${String(good).padStart(8, '0')}`;
      const before = new Map<string, Buffer>();
      let error: unknown;
      try {
        await runBandit({
          runDir: run,
          config,
          poison: (call) => (call === step ? bad : null),
          onStep: (s) => {
            if (s === good + 1)
              before.set('ck', readFileSync(join(run, 'checkpoints', goodName, 'manifest.json')));
          },
        });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(NonFiniteError);
      const e = error as NonFiniteError;
      expect(e.step).toBe(step);
      expect(e.lastGoodCheckpoint).toBe(goodName);
      // The rollout's rewards are named (before any update is computed from them), with the count of
      // bad values (2 prompts × k = 4 samples, every reward poisoned) and the first one.
      const first = Number.isNaN(bad) ? 'NaN' : 'Infinity';
      expect(e.message).toContain(
        `non-finite rollout scores (8 of 8 values; the first, ${first}, at [0]) at step ${step};`,
      );
      expect(e.message).toContain('check the reward model');
      expect(e.message).toMatch(new RegExp(`last good checkpoint: ${goodName}`, 'i'));
      console.log(`[non-finite] ${label}: ${e.message}`);

      // Newest checkpoint on disk is still the good one, untouched; nothing after it.
      const names = checkpointNames(run);
      expect(names[names.length - 1]).toBe(goodName);
      expect(names.every((n) => /^step-\d{8}$/.test(n))).toBe(true);
      expect(readFileSync(join(run, 'checkpoints', goodName, 'manifest.json'))).toEqual(before.get('ck'));
      expect(new CheckpointManager(join(run, 'checkpoints')).latestValidName()).toBe(goodName);
      expect(loggedSteps(run)).toEqual(Array.from({ length: step }, (_, i) => i));
      const info = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8'));
      expect(info.status).toBe('failed');
      expect(info.error).toContain(`at step ${step}`);
      // The good checkpoint's weights are finite.
      const w = rawTensors(join(run, 'checkpoints', goodName, 'tensors.safetensors')).get('model.logits')!;
      for (let i = 0; i < w.bytes.length; i += 8) expect(Number.isFinite(w.bytes.readDoubleLE(i))).toBe(true);
    });
  }

  it('NaN before the first checkpoint says that no checkpoint was written yet', async () => {
    const run = fresh();
    const config = banditConfig({ steps: 10, checkpointEvery: 5 });
    const p = runBandit({ runDir: run, config, poison: (call) => (call === 2 ? Number.NaN : null) });
    await expect(p).rejects.toThrow(
      /at step 2; training stopped without saving\. No checkpoint was written yet/,
    );
    expect(readdirSync(join(run, 'checkpoints'))).toEqual([]);
  });
});

describe("nonFinite: 'skip'", () => {
  it('the run completes; the NaN step leaves the weights bit-identical and is the only skipped update', async () => {
    const run = fresh();
    const steps = 12;
    const badStep = 5;
    const config = banditConfig({ steps, checkpointEvery: 4, nonFinite: 'skip' });
    const policy = uniformPolicy();
    const weights: number[][] = [];
    const log: string[] = [];
    await runBandit({
      runDir: run,
      config,
      policy,
      log: (m) => log.push(m),
      poison: (call) => (call === badStep ? Number.NaN : null),
      onStep: () => weights.push(policy.logits.detach().toArray()),
    });
    expect(weights).toHaveLength(steps);
    // The rollout's rewards are checked before learning: every update of that step (2 epochs × 2
    // minibatches) is skipped, with one message.
    expect(log.filter((m) => m.includes('non-finite'))).toEqual([
      `step ${badStep}: non-finite rollout scores (8 of 8 values; the first, NaN, at [0]); skipping this step's updates`,
    ]);
    for (let s = 1; s < steps; s++) {
      const same = weights[s]!.every((v, i) => Object.is(v, weights[s - 1]![i]));
      expect(same, `weights unchanged across step ${s + 1}`).toBe(s + 1 === badStep);
    }
    expect(weights[steps - 1]!.every(Number.isFinite)).toBe(true);
    const final = join(run, 'checkpoints', `step-${String(steps).padStart(8, '0')}`);
    const state = JSON.parse(readFileSync(join(final, 'state.json'), 'utf8'));
    expect(state.optimizerStep).toBe(4 * (steps - 1));
    const info = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8'));
    expect(info.status).toBe('done');
    expect(info.skippedSteps).toBe(1);
    expect(loggedSteps(run)).toEqual(Array.from({ length: steps + 1 }, (_, i) => i));
    const lines = readFileSync(join(run, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[badStep]['objective/scores']).toBeNull(); // NaN, written as JSON null
    // The skipped step is marked in the log; no other step is.
    expect(lines.filter((l) => l['nonfinite/skipped'] === 1).map((l) => l.step)).toEqual([badStep]);
    expect(existsSync(final)).toBe(true);
    console.log(
      `[non-finite] skip: ${log.find((m) => m.includes('non-finite'))}; run completed ${steps} steps, optimizer steps ${state.optimizerStep}`,
    );
  });
});

describe("nonFinite: 'skip' has limits", () => {
  for (const [label, poisoned, steps, stopAt, reason] of [
    ['every step from 3 on', (s: number) => s >= 3, 30, 7, '5 steps in a row were skipped'],
    ['every 5th step', (s: number) => s % 5 === 0, 40, 20, '4 of 20 steps were skipped (more than 10 %)'],
  ] as const) {
    it(`${label}: the run stops at step ${stopAt} (${reason}), marked failed, instead of ending done`, async () => {
      const run = fresh();
      const config = banditConfig({ steps, checkpointEvery: 4, nonFinite: 'skip' });
      const failure = runBandit({
        runDir: run,
        config,
        log: () => {},
        poison: (call) => (poisoned(call) ? Number.NaN : null),
      });
      await expect(failure).rejects.toBeInstanceOf(TooManySkippedError);
      await expect(failure).rejects.toThrow(
        `step ${stopAt}: ${reason} for non-finite values (nonFinite: skip)`,
      );
      const info = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8'));
      expect(info.status).toBe('failed');
      expect(loggedSteps(run).at(-1)).toBe(stopAt);
    });
  }

  it('a value measured after an applied update (policy/kl_prev) is not blamed on the skip setting', async () => {
    const run = fresh();
    const w = tensor([1, 2], { requiresGrad: true });
    const session = await TrainingSession.start({
      runDir: run,
      name: 'kl-prev',
      kind: 'rl',
      labels: {},
      config: {},
      params: new Map([['w', w]]),
      optimizer: { lr: 0.1, schedule: 'constant', warmupSteps: 0, weightDecay: 0, maxGradNorm: 1 },
      totalSteps: 3,
      rngs: {},
      checkpointEvery: 0,
      keepCheckpoints: 1,
      resume: 'auto',
      nonFinite: 'skip',
      log: () => {},
    });
    let message = '';
    try {
      session.checkFinite({ 'policy/kl_prev': Number.NaN }, { canSkip: false });
    } catch (e) {
      expect(e).toBeInstanceOf(NonFiniteError);
      message = (e as Error).message;
    }
    expect(message).toContain('non-finite policy/kl_prev (NaN) at step 1');
    expect(message).toContain('nonFinite: skip cannot skip it');
    expect(message).not.toContain('set nonFinite: skip');
    await session.run({ step: () => ({}), state: () => ({}), saveModel: async () => {} });
    w.dispose();
  });
});
