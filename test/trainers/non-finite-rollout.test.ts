/**
 * Issue 17, item 2: the online loop checks a rollout (rewards, log-probs, entropy, reference
 * log-probs) before learning from it, naming the step, the tensor, how many values are bad and the
 * first one's position; padding is not checked; and the NaN advice mentions enabling gradient
 * clipping only when it is off. Hand-built tensors, and the tabular bandit with a reference whose
 * log-probs are poisoned at one step.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tensor } from '../../src/tensor/index.ts';
import { describeNonFinite, NonFiniteError, nonFiniteHint } from '../../src/trainers/common/guards.ts';
import { TabularPolicy } from '../../src/trainers/online/tabular-policy.ts';
import { trainOnline } from '../../src/trainers/online/trainer.ts';
import type { OnlinePolicy } from '../../src/trainers/online/types.ts';
import {
  ACTIONS,
  banditConfig,
  banditReward,
  PROMPTS,
  uniformPolicy,
} from '../reliability/fixtures/bandit.ts';

const root = mkdtempSync(join(tmpdir(), 'rollout-guard-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('describeNonFinite', () => {
  it('names the tensor, the count and the first bad value with its index; masked-out values are ignored', () => {
    const logps = tensor([
      [-1, -2, Number.NaN],
      [-0.5, Number.NEGATIVE_INFINITY, Number.NaN],
    ]);
    const mask = tensor([
      [1, 1, 0],
      [1, 1, 1],
    ]);
    expect(describeNonFinite({ 'rollout log-probs': { tensor: logps, mask } })).toBe(
      'rollout log-probs (2 of 6 values; the first, -Infinity, at [1, 1])',
    );
    const padOnly = tensor([[0, 0, 1]]);
    expect(
      describeNonFinite({ x: { tensor: logps.narrow(0, 0, 1), mask: padOnly.eq(0).long() } }),
    ).toBeNull();
    expect(describeNonFinite({ fine: { tensor: tensor([1, 2]) }, absent: null, scalar: 3 })).toBeNull();
    expect(describeNonFinite({ 'policy/kl_prev': Number.NaN })).toBe('policy/kl_prev (NaN)');
  });

  it('advises enabling gradient clipping only when it is off', () => {
    expect(nonFiniteHint({ maxGradNorm: 1 })).toContain('gradient clipping is already on: maxGradNorm 1');
    expect(nonFiniteHint({ maxGradNorm: 1 })).not.toContain('enable gradient clipping');
    expect(nonFiniteHint({})).toContain('enable gradient clipping (maxGradNorm)');
    expect(nonFiniteHint({ maxGradNorm: Number.POSITIVE_INFINITY })).toContain('enable gradient clipping');
    expect(new NonFiniteError(3, 'loss', null, { maxGradNorm: 0.5 }).message).toMatch(
      /^non-finite loss at step 3; .*already on: maxGradNorm 0\.5/,
    );
  });
});

/** A frozen reference whose log-probs at step `badStep` hold one NaN at row 3 (the reference is scored once per step). */
function poisonedReference(badStep: number): OnlinePolicy {
  const inner = new TabularPolicy(
    Array.from({ length: PROMPTS }, () => Array<number>(ACTIONS).fill(0)),
    false,
  );
  let calls = 0;
  return {
    sample: (p, o) => inner.sample(p, o),
    parameters: () => inner.parameters(),
    score: (rollout, o) => {
      calls += 1;
      const s = inner.score(rollout, o);
      if (calls !== badStep) return s;
      const values = s.logps.toArray();
      values[3] = Number.NaN;
      return { ...s, logps: tensor(values, { dtype: s.logps.dtype }).reshape(...s.logps.shape) };
    },
  };
}

describe('a rollout with a non-finite reference log-prob', () => {
  it("'stop': stops at that step naming the reference log-probs and the bad value's position", async () => {
    const runDir = join(root, 'stop');
    const config = banditConfig({ steps: 8, checkpointEvery: 2, regularizer: { kl: { coef: 0.1 } } });
    let error: unknown;
    try {
      await trainOnline({
        runDir,
        name: 'bandit',
        config,
        policy: uniformPolicy(),
        reference: poisonedReference(5),
        reward: banditReward(),
        prompts: { count: PROMPTS, batch: (idx) => TabularPolicy.prompts(idx) },
        log: () => {},
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NonFiniteError);
    expect((error as Error).message).toMatch(
      /^non-finite reference log-probs \(1 of 8 values; the first, NaN, at \[3, 0\]\) at step 5; training stopped without saving\. Last good checkpoint: step-00000004\./,
    );
    expect(readdirSync(join(runDir, 'checkpoints')).sort()).toEqual(['step-00000002', 'step-00000004']);
  });
});
