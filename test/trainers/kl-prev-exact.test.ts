/**
 * policy/kl_prev with klPrev: exact is KL(π_t‖π_{t−1}) averaged over the rollout's rows, computed
 * from a frozen copy of π_{t−1} chunk by chunk: checked against the closed form on a tabular policy
 * (softmax of the logits before and after the step, in float64 here), and full-vocabulary
 * distributions are only ever asked for scoreBatchSize rows at a time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tensor } from '../../src/tensor/index.ts';
import { OnlineTrainConfigSchema } from '../../src/trainers/online/config.ts';
import { TabularPolicy } from '../../src/trainers/online/tabular-policy.ts';
import { trainOnline } from '../../src/trainers/online/trainer.ts';
import { readMetrics } from './fixtures/toy-task.ts';

const dir = mkdtempSync(join(tmpdir(), 'kl-prev-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const softmax = (z: number[]) => {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};
const kl = (p: number[], q: number[]) => p.reduce((s, pv, i) => s + pv * Math.log(pv / q[i]!), 0);

describe('klPrev: exact', () => {
  it('equals the closed-form KL between the policy after and before the step', async () => {
    const initial = [
      [0.5, -0.2, 1.0, 0.0, -1.0],
      [0.0, 0.3, -0.4, 0.8, 0.1],
      [1.2, 0.0, 0.0, -0.5, 0.2],
    ];
    const policy = new TabularPolicy(initial);
    const fullRows: number[] = [];
    const score = policy.score.bind(policy);
    policy.score = (rollout, opts) => {
      if (opts.full) fullRows.push(rollout.responseIds.dim(0));
      return score(rollout, opts);
    };
    const snapshot = policy.snapshot.bind(policy);
    policy.snapshot = () => {
      const frozen = snapshot();
      const frozenScore = frozen.score.bind(frozen);
      frozen.score = (rollout, opts) => {
        if (opts.full) fullRows.push(rollout.responseIds.dim(0));
        return frozenScore(rollout, opts);
      };
      return frozen;
    };
    const reward = [0, 1, 3, 0, 2]; // per response
    await trainOnline({
      runDir: join(dir, 'run'),
      name: 'kl-prev',
      config: OnlineTrainConfigSchema.parse({
        steps: 1,
        promptsPerStep: 3,
        lr: 0.5,
        schedule: 'constant',
        temperature: 1,
        maxNewTokens: 1,
        evalEvery: 0,
        checkpointEvery: 0,
        regularizer: { entropy: { coef: 0.1 } },
        rloo: { k: 4 },
        klPrev: 'exact',
        rollout: { scoreBatchSize: 5 },
        seed: 3,
      }),
      policy,
      reference: null,
      reward: (r) =>
        tensor(
          r.responseIds.toArray().map((y) => reward[y]!),
          { dtype: 'float64' },
        ),
      prompts: { count: 3, batch: (i) => TabularPolicy.prompts(i) },
      log: () => {},
    });
    const after = policy.probabilities();
    // 3 prompts × k = 4 rows, each prompt's 4 rows in a row: each prompt weighs 4/12.
    const expected = initial.reduce((s, z, i) => s + kl(after[i]!, softmax(z)), 0) / 3;
    const [row] = readMetrics(join(dir, 'run'));
    expect(expected).toBeGreaterThan(1e-3); // the step moved the policy
    expect(row!['policy/kl_prev']).toBeCloseTo(expected, 10);
    // Full distributions only for chunks of ≤ 5 rows (12 rows, now and before: 5, 5, 2 each).
    expect(fullRows.sort()).toEqual([2, 2, 5, 5, 5, 5]);
  });

  it('needs a policy that can snapshot itself', async () => {
    const policy = new TabularPolicy([[0, 1]]);
    Object.defineProperty(policy, 'snapshot', { value: undefined });
    await expect(
      trainOnline({
        runDir: join(dir, 'no-snapshot'),
        name: 'x',
        config: OnlineTrainConfigSchema.parse({
          steps: 1,
          promptsPerStep: 1,
          maxNewTokens: 1,
          evalEvery: 0,
          regularizer: { entropy: {} },
          klPrev: 'exact',
        }),
        policy,
        reference: null,
        reward: (r) => r.responseIds.squeeze(1).to('float64'),
        prompts: { count: 1, batch: (i) => TabularPolicy.prompts(i) },
        log: () => {},
      }),
    ).rejects.toThrow(/klPrev: exact needs a policy that can snapshot itself/);
  });
});
