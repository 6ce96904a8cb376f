/**
 * The offline optimisation loop shared by SFT, reward modelling and preference optimisation:
 * deterministic batches and exactly weighted gradient accumulation (accumulate.ts); the schedule,
 * NaN guard, clipping, evaluation and checkpoints are the TrainingSession's (exact resume).
 *
 * One optimizer step sees `gradAccum` batches of `batchSize` examples, each weighing 1/gradAccum;
 * a batch's loss is the mean over its units (tokens for SFT, pairs otherwise: `weightOf`) however
 * it is split: into micro-batches (`microBatchSize`) and over data-parallel ranks, each rank taking
 * a contiguous share of every batch (batchSize is the global batch).
 */
import type { ProcessGroup } from '../../distributed/index.ts';
import type { RunKind, RunLabels } from '../../runs/run-dir.ts';
import { type Generator, noGrad, type Tensor } from '../../tensor/index.ts';
import { microBatches, type WeightedPart } from '../common/accumulate.ts';
import { type CursorState, DataOrder } from '../common/data-order.ts';
import { DataParallel } from '../common/data-parallel.ts';
import { onRunDevice } from '../common/device.ts';
import { TrainingSession } from '../common/session.ts';
import { trainingSteps } from '../common/training-length.ts';
import { meanOverBatches } from './batching.ts';
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
  | 'microBatchSize'
  | 'evalEvery'
  | 'evalBatches'
  | 'checkpointEvery'
  | 'keepCheckpoints'
  | 'nonFinite'
  | 'device'
> &
  Partial<Pick<SftConfig, 'reportTo' | 'epochs'>>;

/** A trainable model as the offline trainers see it. */
export interface TrainableModel {
  parameters(): Map<string, Tensor>;
  save(dir: string): Promise<void>;
  /** Random generators the model draws from while training (LoRA dropout), checkpointed with the run. */
  rngs?(): Record<string, Generator>;
}

/** What a caller gives every offline trainer beside its config, model and data. */
export interface OfflineRunHooks {
  /** Run name in run.json (default: the trainer's). */
  name?: string;
  log?: (msg: string) => void;
  onStep?: (step: number, metrics: Record<string, number>, totalSteps: number) => void;
  /** Data-parallel ranks sharing the run (default: this process alone). */
  group?: ProcessGroup;
}

/** What one offline trainer contributes: its run identity, its loss and its evaluation. */
export interface OfflineRun {
  config: OfflineSettings;
  kind: RunKind;
  name: string;
  labels: RunLabels;
  model: TrainableModel;
  datasetSize: number;
  /** Loss of one micro-batch (with autograd), a mean over its examples or tokens, and its scalar metrics. */
  microStep(indices: number[]): { loss: Tensor; metrics: Record<string, number> };
  /**
   * What microStep's loss is a mean over, counted for these examples (e.g. completion tokens); the
   * micro-batches of a batch are weighted by it. Default: the number of examples.
   */
  weightOf?(indices: number[]): number;
  /** Held-out examples (0: no evaluation). */
  evalSize: number;
  /**
   * Held-out metrics of one batch of held-out examples (eval/*, run without autograd); the loop
   * averages them over at most `evalBatches` batches, shared over the ranks.
   */
  evalMetrics(indices: number[]): Record<string, number>;
  /** weightOf for the held-out examples (default: the number of examples). */
  evalWeightOf?(indices: number[]): number;
  /**
   * More held-out metrics at each evaluation (main process only), merged under `eval/` — e.g. the
   * lab's gold judge of the policy's greedy summaries. Called without autograd.
   */
  evaluateMore?(): Record<string, number>;
  onStep?(step: number, metrics: Record<string, number>, totalSteps: number): void;
  log?(msg: string): void;
  /** The data-parallel ranks sharing this run (default: this process alone). */
  group?: ProcessGroup;
}

/**
 * Runs an offline trainer start to finish: resumes from the run folder's newest checkpoint,
 * trains, saves the model to RUN/model and marks the run done — or failed, rethrowing.
 * Returns the run folder.
 */
export function trainOffline(run: OfflineRun): Promise<string> {
  return onRunDevice(run.config.device, { model: run.model.parameters() }, (device) => train(run, device));
}

async function train(run: OfflineRun, device: string): Promise<string> {
  const c = run.config;
  const dp = new DataParallel(run.group);
  dp.requireShare(c.batchSize, 'batchSize');
  const weightOf = run.weightOf ?? ((indices: number[]) => indices.length);
  const totalSteps = trainingSteps(c, run.datasetSize, c.batchSize * c.gradAccum);
  const session = await TrainingSession.start<{ cursor: CursorState }>({
    runDir: c.out,
    name: run.name,
    kind: run.kind,
    config: c,
    device,
    params: run.model.parameters(),
    optimizer: c.optim,
    totalSteps,
    rngs: run.model.rngs?.() ?? {},
    labels: { lr: c.optim.lr, seed: c.seed, ...run.labels },
    checkpointEvery: c.checkpointEvery,
    keepCheckpoints: c.keepCheckpoints,
    resume: 'auto',
    nonFinite: c.nonFinite,
    log: run.log,
    dataParallel: dp,
    reportTo: c.reportTo,
  });
  const order = trainingOrder(run.datasetSize, c.seed, session.extra?.cursor);
  await session.run({
    step: (_step, lr) => {
      // gradAccum batches, each weighing 1/gradAccum. Every rank draws the same batches, takes its
      // contiguous share of each and splits it into micro-batches; a part weighs its share of its
      // batch's examples or tokens over all ranks (accumulate.ts), so that neither microBatchSize
      // nor the number of ranks changes the step.
      const parts: WeightedPart<number[]>[] = [];
      for (let b = 0; b < c.gradAccum; b++) {
        const batch = order.next(c.batchSize);
        const micro = microBatches(dp.shard(batch), c.microBatchSize);
        const weights = micro.map((indices) => weightOf(indices));
        const total = dp.distributed ? weightOf(batch) : weights.reduce((s, w) => s + w, 0);
        micro.forEach((indices, j) => {
          parts.push({ part: indices, weight: total > 0 ? weights[j]! / total / c.gradAccum : 0 });
        });
      }
      // The weights of every rank's parts sum to 1.
      const { loss, metrics, gradNorm } = session.applyMicroBatches(
        parts,
        (indices) => run.microStep(indices),
        lr,
        dp.distributed ? 1 : undefined,
      );
      return { loss, ...metrics, grad_norm: gradNorm, lr };
    },
    evaluate:
      run.evalSize > 0
        ? () =>
            noGrad(() => ({
              ...meanOverBatches(run.evalSize, c.batchSize, c.evalBatches, (i) => run.evalMetrics(i), {
                dp,
                weightOf: run.evalWeightOf,
              }),
              ...(run.evaluateMore && dp.isMain ? withEvalPrefix(run.evaluateMore()) : {}),
            }))
        : undefined,
    evaluateAfter: (step) => (c.evalEvery > 0 && step % c.evalEvery === 0) || step === totalSteps,
    state: () => ({ cursor: order.state }),
    onStep: run.onStep,
    saveModel: (dir) => run.model.save(dir),
  });
  return session.dir;
}

function withEvalPrefix(m: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [`eval/${k}`, v]));
}

/** The order the loop draws examples in: a fresh shuffle per epoch from the seed, resumed at `cursor`. */
function trainingOrder(size: number, seed: number, cursor?: CursorState): DataOrder {
  return new DataOrder(size, seed, true, cursor);
}

/**
 * The examples a run of `c.steps` steps (or `c.epochs`) draws (`gradAccum` batches of `batchSize` a step), sorted;
 * every example when that covers an epoch or more.
 */
export function examplesDrawn(c: OfflineSettings, size: number): number[] {
  const draws = trainingSteps(c, size, c.batchSize * c.gradAccum) * c.gradAccum * c.batchSize;
  if (draws >= size) return Array.from({ length: size }, (_, i) => i);
  return [...new Set(trainingOrder(size, c.seed).next(draws))].sort((a, b) => a - b);
}
