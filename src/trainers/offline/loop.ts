/**
 * The offline optimisation loop shared by SFT, reward modelling and preference optimisation:
 * deterministic batches and gradient accumulation; the schedule, NaN guard, clipping, evaluation
 * and checkpoints are the TrainingSession's (exact resume).
 *
 * One optimizer step sees `gradAccum` micro-batches of `batchSize` examples; its loss is the mean
 * over all their units (tokens for SFT, pairs otherwise: `weightOf`), whichever way they are split:
 * over micro-batches in one process, or over data-parallel ranks, each rank taking a contiguous
 * share of every micro-batch (batchSize is the global batch).
 */
import type { ProcessGroup } from '../../distributed/index.ts';
import { type Tensor, tidy } from '../../tensor/index.ts';
import { type CursorState, DataOrder } from '../common/data-order.ts';
import { DataParallel, type MetricPart } from '../common/data-parallel.ts';
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
  /** Mean loss of one micro-batch (with autograd) and its scalar metrics, means over the same units. */
  microStep(indices: number[]): { loss: Tensor; metrics: Record<string, number> };
  /** How many units (tokens, pairs) the loss of these examples is a mean over (default: one per example). */
  weightOf?(indices: number[]): number;
  /** Held-out metrics (run without autograd by the caller; every rank calls it, see evaluateShared). */
  evaluate?(dp: DataParallel): Record<string, number>;
  onStep?(step: number, metrics: Record<string, number>): void;
  log?(msg: string): void;
  /** The data-parallel ranks sharing this run (default: this process alone). */
  group?: ProcessGroup;
}

/**
 * Runs an offline trainer start to finish: resumes from the run folder's newest checkpoint,
 * trains, saves the model to RUN/model and marks the run done — or failed, rethrowing.
 * Returns the run folder.
 */
export async function trainOffline(run: OfflineRun): Promise<string> {
  const c = run.config;
  const dp = new DataParallel(run.group);
  dp.requireShare(c.batchSize, 'batchSize');
  const weightOf = run.weightOf ?? ((indices: number[]) => indices.length);
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
    dataParallel: dp,
  });
  const order = new DataOrder(run.datasetSize, c.seed, true, session.extra?.cursor);
  await session.run({
    step: (_step, lr) => {
      // Every rank draws the same global micro-batches and takes its share of each; each share's
      // loss counts by its weight in the whole step, so the step's loss is one mean over its units.
      session.optimizer.zeroGrad();
      const batches = Array.from({ length: c.gradAccum }, () => order.next(c.batchSize));
      const total = batches.reduce((sum, b) => sum + weightOf(b), 0);
      const parts: MetricPart[] = [];
      for (const batch of batches) {
        const mine = dp.shard(batch);
        const share = weightOf(mine) / total;
        tidy(() => {
          const { loss, metrics } = run.microStep(mine);
          session.backward(loss, share);
          parts.push({ metrics: { loss: loss.item(), ...metrics }, share });
        });
      }
      const means = dp.combine(parts);
      const { gradNorm } = session.optimizerStep(means.loss ?? 0, lr);
      return { ...means, grad_norm: gradNorm, lr };
    },
    evaluate: run.evaluate && (() => run.evaluate!(dp)),
    evaluateAfter: (step) => (c.evalEvery > 0 && step % c.evalEvery === 0) || step === c.steps,
    state: () => ({ cursor: order.state }),
    onStep: run.onStep,
    saveModel: (dir) => run.model.save(dir),
  });
  return session.dir;
}
