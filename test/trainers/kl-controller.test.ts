/**
 * The adaptive KL controller (Ziegler et al. 2019): its β sequence on a scripted KL sequence
 * equals the formula's, and inside trainOnline every logged objective/kl_coef follows from the
 * previous step's β and measured KL — across a resume too.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tensor } from '../../src/tensor/index.ts';
import { oneStepBandit } from '../../src/theory/one-step-bandit.ts';
import { OnlineTrainConfigSchema } from '../../src/trainers/online/config.ts';
import { KlCoefficient, nextKlCoef } from '../../src/trainers/online/kl-controller.ts';
import { TabularPolicy } from '../../src/trainers/online/tabular-policy.ts';
import { trainOnline } from '../../src/trainers/online/trainer.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('adaptive KL coefficient', () => {
  it('β_{t+1} = β_t·(1 + clip(KL_t/target − 1, ±0.2)·n/horizon) on a scripted KL sequence', () => {
    const settings = { target: 6, horizon: 10000 };
    const kls = [3, 6, 7.2, 12, 0, 6.6];
    // By hand, n = 512 episodes per step: errors −0.2 (clipped from −0.5), 0, +0.2, +0.2 (clipped
    // from +1), −0.2 (clipped from −1), +0.1.
    const factors = [-0.2, 0, 0.2, 0.2, -0.2, 0.1].map((e) => 1 + (e * 512) / 10000);
    const expected: number[] = [];
    let beta = 0.05;
    for (const f of factors) {
      beta *= f;
      expected.push(beta);
    }
    expect(expected[0]).toBeCloseTo(0.05 * 0.98976, 15);
    const coef = new KlCoefficient(0.05, settings);
    const got = kls.map((kl) => {
      coef.update(kl, 512);
      return coef.value;
    });
    for (const [i, b] of got.entries()) expect(b).toBeCloseTo(expected[i]!, 15);
    expect(nextKlCoef(0.1, 9, 1000, settings)).toBeCloseTo(0.1 * (1 + 0.2 * 0.1), 15);
  });

  it('a fixed β (adaptive: null) never moves', () => {
    const coef = new KlCoefficient(0.05, null);
    coef.update(100, 512);
    expect(coef.value).toBe(0.05);
  });
});

describe('adaptive KL inside trainOnline', () => {
  const bandit = oneStepBandit({ nResponses: 5, seed: 7 });
  const run = async (dir: string, steps: number) => {
    const ref = bandit.referencePolicy.map(Math.log);
    const policy = new TabularPolicy([ref]);
    const config = OnlineTrainConfigSchema.parse({
      algorithm: 'rloo',
      steps: 12,
      promptsPerStep: 16,
      lr: 0.2,
      schedule: 'constant',
      temperature: 1,
      maxNewTokens: 1,
      missingEosPenalty: null,
      regularizer: { kl: { coef: 0.5, adaptive: { target: 0.05, horizon: 200 } } },
      rloo: { k: 4 },
      evalEvery: 0,
      checkpointEvery: 4,
      maxGradNorm: 100,
      seed: 5,
    });
    await trainOnline({
      runDir: dir,
      name: 'adaptive',
      config: { ...config, steps },
      policy,
      reference: new TabularPolicy([ref], false),
      reward: (r) => tensor(bandit.rewards, { dtype: 'float64' }).indexSelect(0, r.responseIds.reshape(-1)),
      log: () => {},
      prompts: { count: 1, batch: (idx) => TabularPolicy.prompts(idx) },
    });
  };

  it('logs objective/kl_coef, each the controller applied to the previous step, across a resume', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'adaptive-kl-'));
    dirs.push(dir);
    await run(dir, 8); // checkpoints at 4 and 8
    await run(dir, 12); // resumes from step 8
    const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, number>);
    expect(lines.map((l) => l.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(lines[0]!['objective/kl_coef']).toBe(0.5);
    const episodes = 16 * 4;
    for (let t = 1; t < lines.length; t++) {
      const prev = lines[t - 1]!;
      const error = Math.min(0.2, Math.max(-0.2, prev['objective/kl']! / 0.05 - 1));
      expect(lines[t]!['objective/kl_coef']).toBeCloseTo(
        prev['objective/kl_coef']! * (1 + (error * episodes) / 200),
        12,
      );
    }
    // The policy drifts past the tiny target, so β rose.
    expect(lines[11]!['objective/kl_coef']).toBeGreaterThan(0.5);
  });
});
