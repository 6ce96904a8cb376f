/**
 * TrainingSession frees the gradients after each optimizer step (float32 and bf16 parameters, and
 * bf16's float32 masters): between updates — rollouts, scoring, measurements — they would hold a
 * model's worth of memory. The update itself is unchanged: the parameter moves as AdamW's first
 * step says, -lr·sign(g) for a nonzero gradient (bias-corrected m/√v = g/|g|).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tensor, tidy } from '../../src/tensor/index.ts';
import { TrainingSession } from '../../src/trainers/common/session.ts';

const dir = mkdtempSync(join(tmpdir(), 'session-grads-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('gradients after an optimizer step', () => {
  for (const dtype of ['float32', 'bfloat16'] as const)
    it(`${dtype}: freed once the step is taken, and the step is AdamW's`, async () => {
      const w = tensor([1, -2, 3], { dtype }).requiresGrad_(true);
      const session = await TrainingSession.start({
        runDir: join(dir, dtype),
        name: 't',
        kind: 'sft',
        labels: {},
        config: {},
        params: new Map([['w', w]]),
        optimizer: { lr: 0.125, schedule: 'constant', warmupSteps: 0, weightDecay: 0, maxGradNorm: 1e9 },
        totalSteps: 1,
        rngs: {},
        checkpointEvery: 0,
        keepCheckpoints: 1,
        resume: false,
        nonFinite: 'stop',
        log: () => {},
      });
      // L = Σ c·w with c = (1, −1, 2): the gradient is c.
      const applied = tidy(() => session.applyLoss(w.mul(tensor([1, -1, 2], { dtype })).sum(), 0.125));
      expect(applied).toBe(true);
      expect(w.grad).toBeNull();
      for (const m of session.precision.masters) expect(m.grad).toBeNull();
      expect(w.to('float32').toArray()).toEqual([0.875, -1.875, 2.875]);
      session.finish();
    });
});
