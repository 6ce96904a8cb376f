/**
 * The bookkeeping every trainer shares, kept out of the algorithms so each reads top to bottom:
 * run folder, resume from the newest valid checkpoint (model, optimizer, RNGs, trainer state),
 * the step loop (learning-rate schedule, evaluation, metrics logging without duplicated steps,
 * periodic atomic checkpoints, the final model, done/failed), and the one place where a loss
 * becomes an optimizer step (backward — accumulated over micro-batches —, NaN/Inf guard, gradient
 * clipping, AdamW). Parameters in bfloat16 train in mixed precision: AdamW steps float32 master
 * copies (MasterWeights), which checkpoints hold, and the bf16 weights are refreshed from them.
 */
import {
  AdamW,
  clipGradNorm,
  type Generator,
  learningRateAt,
  MasterWeights,
  noGrad,
  type ScheduleKind,
  type Tensor,
  tidy,
} from '../../tensor/index.ts';
import { type Accumulated, backwardWeighted, type PartLoss, type WeightedPart } from './accumulate.ts';
import { CheckpointManager, type CheckpointState } from './checkpoint.ts';
import { firstNonFinite, NonFiniteError, type NonFinitePolicy } from './guards.ts';
import type { MetricRecord } from './metrics-log.ts';
import { RunDir, type RunKind, type RunLabels } from './run-dir.ts';

/** AdamW and its schedule: the optimisation knobs every trainer config has. */
export interface OptimizerSettings {
  /** Peak learning rate. */
  lr: number;
  schedule: ScheduleKind;
  warmupSteps: number;
  weightDecay: number;
  maxGradNorm: number;
}

export interface SessionOptions {
  runDir: string;
  name: string;
  kind: RunKind;
  labels: RunLabels;
  config: unknown;
  /** The run's device, recorded in run.json. */
  device?: string;
  /** Trainable tensors by name (saved and restored in checkpoints). */
  params: Map<string, Tensor>;
  optimizer: OptimizerSettings;
  /** Optimizer steps of the whole run (the schedule decays towards its end). */
  totalSteps: number;
  /** Every random generator whose state must survive a resume. */
  rngs: Record<string, Generator>;
  checkpointEvery: number;
  keepCheckpoints: number;
  /** 'auto' resumes when the run folder has a checkpoint; false starts over. */
  resume: boolean | 'auto';
  nonFinite: NonFinitePolicy;
  log?: (msg: string) => void;
}

/** What a trainer's loop contributes to {@link TrainingSession.run}: its step, and what it evaluates and saves. */
export interface TrainingLoop<Extra> {
  /** Runs step `step` (1-based) at learning rate `lr` inside a tensor scope; returns its metrics. */
  step(step: number, lr: number): Record<string, number>;
  /** Held-out metrics, merged into the step's line after each step where `evaluateAfter` holds. */
  evaluate?(step: number): Record<string, number> | Promise<Record<string, number>>;
  evaluateAfter?(step: number): boolean;
  /** Also evaluate before the first step of a fresh run (logged as step 0). */
  evaluateAtStart?: boolean;
  /** What a checkpoint must carry besides parameters, optimizer and generators (e.g. the data cursor). */
  state(): Extra;
  onStep?(step: number, metrics: Record<string, number>): void;
  /** Saves the trained model into the run folder's model/ after the last step. */
  saveModel(dir: string): Promise<void>;
}

export class TrainingSession<Extra extends object = Record<string, unknown>> {
  /** Number of completed optimizer steps (the next step to run is `step + 1`). */
  step = 0;
  /** Trainer-specific state restored from the checkpoint (data cursor, counters…), if any. */
  extra: Extra | undefined;
  readonly folder: RunDir;
  /** Steps the float32 masters (the parameters themselves when they are float32). */
  readonly optimizer: AdamW;
  /** The float32 master weights of reduced-precision parameters. */
  readonly precision: MasterWeights;
  private readonly checkpoints: CheckpointManager;
  private readonly log: (msg: string) => void;

  private constructor(private readonly o: SessionOptions) {
    this.log = o.log ?? ((m) => console.error(m));
    this.folder = RunDir.open(o.runDir, {
      name: o.name,
      kind: o.kind,
      labels: o.labels,
      config: o.config,
      ...(o.device ? { device: o.device } : {}),
    });
    this.checkpoints = new CheckpointManager(this.folder.checkpointDir, o.keepCheckpoints, this.log);
    this.precision = new MasterWeights([...o.params.values()]);
    this.optimizer = new AdamW(this.precision.masters, {
      lr: o.optimizer.lr,
      weightDecay: o.optimizer.weightDecay,
    });
  }

  /** Opens the run folder and resumes from its newest valid checkpoint (unless `resume` is false). */
  static async start<E extends object>(o: SessionOptions): Promise<TrainingSession<E>> {
    const s = new TrainingSession<E>(o);
    try {
      if (o.resume !== false) await s.restore();
      else s.folder.metrics.repair(-1);
    } catch (e) {
      s.release();
      throw e;
    }
    return s;
  }

  /**
   * Runs the remaining steps: each at its scheduled learning rate, evaluated when due, logged,
   * checkpointed when due (and after the last step); then saves the model and marks the run done —
   * or, on any error, failed, rethrowing it.
   */
  async run(loop: TrainingLoop<Extra>): Promise<void> {
    const o = this.o.optimizer;
    const schedule = {
      kind: o.schedule,
      lr: o.lr,
      warmupSteps: o.warmupSteps,
      totalSteps: this.o.totalSteps,
    };
    try {
      if (loop.evaluate && loop.evaluateAtStart && this.step === 0)
        this.logMetrics(await loop.evaluate(0), 0);
      while (this.step < this.o.totalSteps) {
        const step = this.step + 1;
        const metrics = tidy(() => loop.step(step, learningRateAt(step - 1, schedule)));
        if (loop.evaluate && loop.evaluateAfter?.(step)) Object.assign(metrics, await loop.evaluate(step));
        this.logMetrics(metrics, step);
        loop.onStep?.(step, metrics);
        await this.completeStep(loop.state(), step === this.o.totalSteps);
      }
      await loop.saveModel(this.folder.modelDir);
      this.finish();
    } catch (e) {
      this.fail(e);
      throw e;
    } finally {
      this.release();
    }
  }

  private release(): void {
    this.optimizer.dispose();
    this.precision.dispose();
  }

  /** Drops every gradient: the masters' and the reduced-precision parameters' own. */
  zeroGrad(): void {
    this.optimizer.zeroGrad();
    this.precision.zeroModelGrads();
  }

  /**
   * The one place a loss becomes an update: zero the gradients, backpropagate `loss`, then
   * {@link optimizerStep}. Returns whether the update was applied.
   */
  applyLoss(loss: Tensor, lr: number): boolean {
    this.zeroGrad();
    loss.backward();
    this.precision.foldGradients();
    return this.optimizerStep(loss.item(), lr).applied;
  }

  /**
   * One optimizer step from gradient accumulation over micro-batches (accumulate.ts): zero the
   * gradients, backpropagate Σ_j (w_j/Σw)·L_j one micro-batch at a time, then {@link optimizerStep}.
   * Every trainer's micro-batching goes through here, so an algorithm gets it by calling this.
   */
  applyMicroBatches<P>(
    parts: readonly WeightedPart<P>[],
    lossOf: (part: P) => PartLoss,
    lr: number,
  ): Accumulated & { gradNorm: number; applied: boolean } {
    this.zeroGrad();
    const accumulated = backwardWeighted(parts, lossOf, () => this.precision.foldGradients());
    return { ...accumulated, ...this.optimizerStep(accumulated.loss, lr) };
  }

  /**
   * Steps AdamW at `lr` on the gradients accumulated so far: clips their global norm, then checks
   * the loss and the norm: non-finite stops the run ('stop') or skips this update ('skip').
   */
  optimizerStep(loss: number, lr: number): { gradNorm: number; applied: boolean } {
    const gradNorm = clipGradNorm(this.optimizer.params, this.o.optimizer.maxGradNorm);
    if (!this.guard({ loss, 'gradient norm': gradNorm })) {
      this.zeroGrad();
      return { gradNorm, applied: false };
    }
    this.optimizer.step(lr);
    this.precision.syncToModel();
    return { gradNorm, applied: true };
  }

  private async restore(): Promise<void> {
    const ck = await this.checkpoints.loadLatest();
    if (!ck) {
      // Checkpoints exist but none verifies: starting over would silently discard the run's
      // metrics, so refuse and let the user decide.
      if (this.checkpoints.count() > 0) {
        throw new Error(
          `every checkpoint in ${this.folder.checkpointDir} is unusable (see the messages above); ` +
            'nothing was changed. Start over with --fresh (or resume: false), or restore a checkpoint.',
        );
      }
      if (this.o.resume === true)
        this.log(`no checkpoint in ${this.folder.checkpointDir}; starting from step 0`);
      this.folder.metrics.repair(-1);
      return;
    }
    const masters = this.masterParams();
    noGrad(() => {
      for (const [name, p] of masters) p.copy_(required(ck.tensors, `model.${name}`, ck.path));
      const n = this.optimizer.params.length;
      this.optimizer.loadState({
        step: ck.state.optimizerStep as number,
        paramSteps: ck.state.optimizerParamSteps as number[],
        expAvg: Array.from({ length: n }, (_, i) => required(ck.tensors, `optim.exp_avg.${i}`, ck.path)),
        expAvgSq: Array.from({ length: n }, (_, i) => required(ck.tensors, `optim.exp_avg_sq.${i}`, ck.path)),
      });
    });
    for (const t of ck.tensors.values()) t.dispose();
    this.precision.syncToModel();
    for (const [name, g] of Object.entries(this.o.rngs)) {
      const state = (ck.state.rngs as Record<string, string> | undefined)?.[name];
      if (state === undefined) throw new Error(`checkpoint ${ck.path} has no state for generator "${name}"`);
      g.setState(Buffer.from(state, 'base64'));
    }
    this.step = ck.step;
    this.extra = ck.state.extra as Extra;
    const repaired = this.folder.metrics.repair(ck.step);
    this.log(
      `resumed ${this.o.name} from ${ck.path} (step ${ck.step})` +
        (repaired.droppedLines || repaired.tornBytes
          ? `; metrics log: dropped ${repaired.droppedLines} lines after that step and ${repaired.tornBytes} torn bytes`
          : ''),
    );
  }

  /**
   * Checks named scalars before an optimizer step. Returns false when the step must be skipped
   * ('skip' policy); throws NonFiniteError under 'stop' (the default).
   */
  private guard(values: Record<string, number>): boolean {
    const step = this.step + 1;
    const bad = firstNonFinite(values);
    if (bad === null) return true;
    if (this.o.nonFinite === 'skip') {
      this.log(`step ${step}: non-finite ${bad}; skipping this update`);
      return false;
    }
    throw new NonFiniteError(step, bad, this.checkpoints.latestValidName());
  }

  logMetrics(record: Omit<MetricRecord, 'step'>, step = this.step): void {
    this.folder.metrics.append({ step, ...record } as MetricRecord);
  }

  /** Records a completed step and writes a checkpoint when due (or when forced). */
  private async completeStep(extra: Extra, force = false): Promise<void> {
    this.step += 1;
    if (force || (this.o.checkpointEvery > 0 && this.step % this.o.checkpointEvery === 0))
      await this.checkpoint(extra);
  }

  private async checkpoint(extra: Extra): Promise<string> {
    const tensors = new Map<string, Tensor>();
    for (const [name, p] of this.masterParams()) tensors.set(`model.${name}`, p);
    const st = this.optimizer.state();
    for (const [i, t] of st.expAvg.entries()) tensors.set(`optim.exp_avg.${i}`, t);
    for (const [i, t] of st.expAvgSq.entries()) tensors.set(`optim.exp_avg_sq.${i}`, t);
    const rngs = Object.fromEntries(
      Object.entries(this.o.rngs).map(([k, g]) => [k, Buffer.from(g.getState()).toString('base64')]),
    );
    const state: CheckpointState = {
      step: this.step,
      optimizerStep: st.step,
      optimizerParamSteps: st.paramSteps,
      rngs,
      extra,
    };
    return this.checkpoints.save(tensors, state);
  }

  /** The trainable tensors by name as the optimizer and checkpoints hold them (float32 masters). */
  private masterParams(): Map<string, Tensor> {
    const names = [...this.o.params.keys()];
    return new Map(names.map((name, i) => [name, this.precision.masters[i]!]));
  }

  finish(): void {
    this.folder.finish('done');
  }

  /**
   * Marks the run failed. Never throws: when run.json cannot be written (the disk that just failed
   * a checkpoint is full or read-only), the caller's original error must still be the one reported.
   */
  private fail(e: unknown): void {
    try {
      this.folder.finish('failed', e instanceof Error ? e.message : String(e));
    } catch (writeError) {
      this.log(`could not mark the run as failed: ${(writeError as Error).message}`);
    }
  }
}

function required(m: Map<string, Tensor>, name: string, path: string): Tensor {
  const t = m.get(name);
  if (!t)
    throw new Error(
      `checkpoint ${path} lacks tensor ${name}: it was written by a different model or trainer`,
    );
  return t;
}
