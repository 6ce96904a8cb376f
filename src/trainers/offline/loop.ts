/**
 * The offline optimisation loop shared by SFT, reward modelling and preference optimisation:
 * deterministic batches, gradient accumulation, NaN guard, clipping, scheduled AdamW, periodic
 * evaluation and checkpoints through a TrainingSession (exact resume).
 */
import { AdamW, type Tensor, clipGradNorm, learningRateAt, tidy } from '../../tensor/index.ts';
import { type CursorState, DataOrder } from '../common/data-order.ts';
import type { TrainingSession } from '../common/session.ts';
import type { OptimConfig } from './config.ts';

export interface LoopSpec {
  session: TrainingSession<{ cursor: CursorState }>;
  optimizer: AdamW;
  optim: OptimConfig;
  datasetSize: number;
  seed: number;
  steps: number;
  batchSize: number;
  gradAccum: number;
  evalEvery: number;
  /** Loss of one micro-batch (with autograd) and its scalar metrics. */
  microStep(indices: number[]): { loss: Tensor; metrics: Record<string, number> };
  /** Held-out metrics (run without autograd by the caller). */
  evaluate?(): Record<string, number>;
  onStep?(step: number, metrics: Record<string, number>): void;
}

export function makeOptimizer(params: Map<string, Tensor>, o: OptimConfig): AdamW {
  return new AdamW([...params.values()], { lr: o.lr, weightDecay: o.weightDecay });
}

export async function runOfflineLoop(s: LoopSpec): Promise<void> {
  const order = new DataOrder(s.datasetSize, s.seed, true, s.session.extra?.cursor);
  const schedule = {
    kind: s.optim.schedule,
    lr: s.optim.lr,
    warmupSteps: s.optim.warmupSteps,
    totalSteps: s.steps,
  };
  while (s.session.step < s.steps) {
    const step = s.session.step + 1;
    const lr = learningRateAt(step - 1, schedule);
    s.optimizer.zeroGrad();
    const sums: Record<string, number> = {};
    for (let m = 0; m < s.gradAccum; m++) {
      tidy(() => {
        const { loss, metrics } = s.microStep(order.next(s.batchSize));
        loss.div(s.gradAccum).backward();
        for (const [k, v] of Object.entries({ loss: loss.item(), ...metrics }))
          sums[k] = (sums[k] ?? 0) + v / s.gradAccum;
      });
    }
    const gradNorm = clipGradNorm(s.optimizer.params, s.optim.maxGradNorm);
    if (s.session.guard({ loss: sums.loss ?? 0, 'gradient norm': gradNorm }, step)) s.optimizer.step(lr);
    const metrics: Record<string, number> = { ...sums, grad_norm: gradNorm, lr };
    const last = step === s.steps;
    if (s.evaluate && ((s.evalEvery > 0 && step % s.evalEvery === 0) || last))
      Object.assign(metrics, s.evaluate());
    s.session.logMetrics(metrics, step);
    s.onStep?.(step, metrics);
    await s.session.completeStep({ cursor: order.state }, last);
  }
}
