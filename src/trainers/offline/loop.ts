/**
 * The offline optimisation loop shared by SFT, reward modelling and preference optimisation:
 * deterministic batches and gradient accumulation; the schedule, NaN guard, clipping, evaluation
 * and checkpoints are the TrainingSession's (exact resume).
 */
import { type Tensor, tidy } from '../../tensor/index.ts';
import { type CursorState, DataOrder } from '../common/data-order.ts';
import { meanMetrics } from '../common/metrics-log.ts';
import type { RunKind, RunLabels } from '../common/run-dir.ts';
import { TrainingSession } from '../common/session.ts';
import type { SftConfig } from './config.ts';

/** The config keys every offline trainer shares (see config.ts). */
export type OfflineSettings = Pick<
  SftConfig,
  | 'out'
  | 'optim'
  | 'seed'
  | 'steps'
  | 'batchSize'
  | 'gradAccum'
  | 'evalEvery'
  | 'checkpointEvery'
  | 'keepCheckpoints'
  | 'nonFinite'
>;

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
export async function trainOffline(run: OfflineRun): Promise<string> {
  const c = run.config;
  const session = await TrainingSession.start<{ cursor: CursorState }>({
    runDir: c.out,
    name: run.name,
    kind: run.kind,
    config: c,
    params: run.model.parameters(),
    optimizer: c.optim,
    totalSteps: c.steps,
    rngs: {},
    labels: { lr: c.optim.lr, seed: c.seed, ...run.labels },
    checkpointEvery: c.checkpointEvery,
    keepCheckpoints: c.keepCheckpoints,
    resume: 'auto',
    nonFinite: c.nonFinite,
    log: run.log,
  });
  const order = new DataOrder(run.datasetSize, c.seed, true, session.extra?.cursor);
  await session.run({
    step: (_step, lr) => {
      // Gradient accumulation: the mean loss over gradAccum micro-batches, one optimizer step.
      session.optimizer.zeroGrad();
      const micro: Record<string, number>[] = [];
      for (let m = 0; m < c.gradAccum; m++) {
        tidy(() => {
          const { loss, metrics } = run.microStep(order.next(c.batchSize));
          loss.div(c.gradAccum).backward();
          micro.push({ loss: loss.item(), ...metrics });
        });
      }
      const means = meanMetrics(micro);
      const { gradNorm } = session.optimizerStep(means.loss ?? 0, lr);
      return { ...means, grad_norm: gradNorm, lr };
    },
    evaluate: run.evaluate && (() => run.evaluate!()),
    evaluateAfter: (step) => (c.evalEvery > 0 && step % c.evalEvery === 0) || step === c.steps,
    state: () => ({ cursor: order.state }),
    onStep: run.onStep,
    saveModel: (dir) => run.model.save(dir),
  });
  return session.folder.dir;
}
