/**
 * The offline optimisation loop shared by SFT, reward modelling and preference optimisation:
 * deterministic batches, gradient accumulation, NaN guard, clipping, scheduled AdamW, periodic
 * evaluation and checkpoints through a TrainingSession (exact resume).
 */
import { AdamW, clipGradNorm, learningRateAt, type Tensor, tidy } from '../../tensor/index.ts';
import { type CursorState, DataOrder } from '../common/data-order.ts';
import type { RunKind, RunLabels } from '../common/run-dir.ts';
import { TrainingSession } from '../common/session.ts';
import type { OptimConfig } from './config.ts';

/** The config keys every offline trainer shares (see config.ts). */
export interface OfflineSettings {
  out: string;
  optim: OptimConfig;
  seed: number;
  steps: number;
  batchSize: number;
  gradAccum: number;
  evalEvery: number;
  checkpointEvery: number;
  keepCheckpoints: number;
  nonFinite: 'stop' | 'skip';
}

/** A trainable model as the offline trainers see it. */
export interface TrainableModel {
  parameters(): Map<string, Tensor>;
  save(dir: string): Promise<void>;
}

/** What one offline trainer contributes: its run identity, its loss and its evaluation. */
export interface OfflineRun {
  config: OfflineSettings;
  kind: RunKind;
  name: string;
  labels: RunLabels;
  model: TrainableModel;
  datasetSize: number;
  /** Loss of one micro-batch (with autograd) and its scalar metrics. */
  microStep(indices: number[]): { loss: Tensor; metrics: Record<string, number> };
  /** Held-out metrics (run without autograd by the caller). */
  evaluate?(): Record<string, number>;
  onStep?(step: number, metrics: Record<string, number>): void;
  log?(msg: string): void;
}

/**
 * Runs an offline trainer start to finish: resumes from the run folder's newest checkpoint,
 * trains, saves the model to RUN/model and marks the run done — or failed, rethrowing.
 * Returns the run folder.
 */
export async function trainOffline(r: OfflineRun): Promise<string> {
  const c = r.config;
  const params = r.model.parameters();
  const optimizer = makeOptimizer(params, c.optim);
  const session = await TrainingSession.start<{ cursor: CursorState }>({
    runDir: c.out,
    name: r.name,
    kind: r.kind,
    config: c,
    params,
    optimizer,
    rngs: {},
    labels: { lr: c.optim.lr, seed: c.seed, ...r.labels },
    checkpointEvery: c.checkpointEvery,
    keepCheckpoints: c.keepCheckpoints,
    resume: 'auto',
    nonFinite: c.nonFinite,
    log: r.log,
  });
  try {
    await runOfflineLoop(session, optimizer, r);
    await r.model.save(session.run.modelDir);
    session.finish();
  } catch (e) {
    session.fail(e);
    throw e;
  } finally {
    optimizer.dispose();
  }
  return session.run.dir;
}

export function makeOptimizer(params: Map<string, Tensor>, o: OptimConfig): AdamW {
  return new AdamW([...params.values()], { lr: o.lr, weightDecay: o.weightDecay });
}

async function runOfflineLoop(
  session: TrainingSession<{ cursor: CursorState }>,
  optimizer: AdamW,
  r: OfflineRun,
): Promise<void> {
  const c = r.config;
  const order = new DataOrder(r.datasetSize, c.seed, true, session.extra?.cursor);
  const schedule = {
    kind: c.optim.schedule,
    lr: c.optim.lr,
    warmupSteps: c.optim.warmupSteps,
    totalSteps: c.steps,
  };
  while (session.step < c.steps) {
    const step = session.step + 1;
    const lr = learningRateAt(step - 1, schedule);
    optimizer.zeroGrad();
    const sums: Record<string, number> = {};
    for (let m = 0; m < c.gradAccum; m++) {
      tidy(() => {
        const { loss, metrics } = r.microStep(order.next(c.batchSize));
        loss.div(c.gradAccum).backward();
        for (const [k, v] of Object.entries({ loss: loss.item(), ...metrics }))
          sums[k] = (sums[k] ?? 0) + v / c.gradAccum;
      });
    }
    const gradNorm = clipGradNorm(optimizer.params, c.optim.maxGradNorm);
    if (session.guard({ loss: sums.loss ?? 0, 'gradient norm': gradNorm }, step)) optimizer.step(lr);
    const metrics: Record<string, number> = { ...sums, grad_norm: gradNorm, lr };
    const last = step === c.steps;
    if (r.evaluate && ((c.evalEvery > 0 && step % c.evalEvery === 0) || last))
      Object.assign(metrics, r.evaluate());
    session.logMetrics(metrics, step);
    r.onStep?.(step, metrics);
    await session.completeStep({ cursor: order.state }, last);
  }
}
