/**
 * The bookkeeping every trainer shares, kept out of the algorithms so each reads top to bottom:
 * run folder, resume from the newest valid checkpoint (model, optimizer, RNGs, trainer state),
 * the step loop (learning-rate schedule, evaluation, metrics logging without duplicated steps,
 * periodic atomic checkpoints, the final model, done/failed), and the one place where a loss
 * becomes an optimizer step (backward — accumulated over micro-batches —, gradients summed over
 * data-parallel ranks, NaN/Inf guard, gradient clipping, AdamW). Parameters in bfloat16 train in
 * mixed precision: AdamW steps float32 master copies (MasterWeights), which checkpoints hold and
 * ranks exchange, and the bf16 weights are refreshed from them.
 *
 * Data parallel (a `dataParallel` over several ranks): rank 0 alone writes the run folder (run.json,
 * metrics, checkpoints, model/); every rank starts from rank 0's weights and resumed state, which
 * rank 0 broadcasts; each rank backpropagates its share of the loss and the gradients are summed
 * before clipping, so the clipped norm is the global one and every rank takes the same step.
 */

import { join } from 'node:path';
import { CheckpointManager, type CheckpointState } from '../../runs/checkpoint.ts';
import { type MetricRecord, missingSteps } from '../../runs/metrics-log.ts';
import { saveModelDir } from '../../runs/model-dir.ts';
import { RunDir, type RunKind, type RunLabels } from '../../runs/run-dir.ts';
import { acquireRunLock, type RunLock } from '../../runs/run-lock.ts';
import { flattenHParams, TENSORBOARD_DIR, TensorBoardWriter } from '../../runs/tensorboard.ts';
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
import { DataParallel } from './data-parallel.ts';
import type { ReportTarget } from './device.ts';
import {
  type CheckedTensor,
  describeNonFinite,
  firstNonFinite,
  NonFiniteError,
  type NonFinitePolicy,
} from './guards.ts';
import { warmupStepsOf } from './training-length.ts';

/** AdamW and its schedule: the optimisation knobs every trainer config has. */
export interface OptimizerSettings {
  /** Peak learning rate. */
  lr: number;
  schedule: ScheduleKind;
  warmupSteps: number;
  /** Warm-up as a fraction of totalSteps (replaces warmupSteps when set). */
  warmupRatio?: number | null;
  weightDecay: number;
  maxGradNorm: number;
}

export interface SessionOptions {
  runDir: string;
  name: string;
  kind: RunKind;
  labels: RunLabels;
  config: unknown;
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
  /** The ranks sharing this run (default: this process alone). */
  dataParallel?: DataParallel;
  /** The run's device, recorded in run.json. */
  device?: string;
  /** Where metrics go besides metrics.jsonl (always written): 'tensorboard' adds event files. */
  reportTo?: readonly ReportTarget[];
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
  onStep?(step: number, metrics: Record<string, number>, totalSteps: number): void;
  /** Saves the trained model into the run folder's model/ after the last step. */
  saveModel(dir: string): Promise<void>;
}

/** What rank 0 tells the other ranks once it has opened (and maybe resumed) the run. */
interface StartHeader {
  error?: string;
  step: number;
  extra?: unknown;
  optimizerStep: number;
  optimizerParamSteps: number[];
  rngs: Record<string, string>;
}

export class TrainingSession<Extra extends object = Record<string, unknown>> {
  /** Number of completed optimizer steps (the next step to run is `step + 1`). */
  step = 0;
  /** Trainer-specific state restored from the checkpoint (data cursor, counters…), if any. */
  extra: Extra | undefined;
  /** The run folder (written by rank 0 only). */
  readonly dir: string;
  /** Steps the float32 masters (the parameters themselves when they are float32). */
  readonly optimizer: AdamW;
  /** The float32 master weights of reduced-precision parameters. */
  readonly precision: MasterWeights;
  readonly dp: DataParallel;
  /** The opened run folder on rank 0; null on the other ranks, which never write it. */
  private readonly folder: RunDir | null;
  private readonly checkpoints: CheckpointManager | null;
  private readonly log: (msg: string) => void;
  private readonly lock: RunLock | null;
  /** The TensorBoard event file (rank 0, with reportTo: tensorboard), opened once the run is resumed. */
  private tensorboard: TensorBoardWriter | null = null;

  private constructor(private readonly o: SessionOptions) {
    requireTrainable(o.params);
    this.log = o.log ?? ((m) => console.error(m));
    this.dp = o.dataParallel ?? new DataParallel();
    this.dir = o.runDir;
    // One trainer per run folder (run-lock.ts), taken by rank 0, the only writer, before anything
    // in it is read or written.
    this.lock = this.dp.isMain ? acquireRunLock(o.runDir, this.log) : null;
    try {
      this.folder = this.dp.isMain
        ? RunDir.open(o.runDir, {
            name: o.name,
            kind: o.kind,
            labels: o.labels,
            config: o.config,
            ...(o.device ? { device: o.device } : {}),
            worldSize: this.dp.worldSize,
            totalSteps: o.totalSteps,
          })
        : null;
    } catch (e) {
      this.lock?.release();
      throw e;
    }
    this.checkpoints = this.folder
      ? new CheckpointManager(this.folder.checkpointDir, o.keepCheckpoints, this.log)
      : null;
    this.precision = new MasterWeights([...o.params.values()]);
    this.optimizer = new AdamW(this.precision.masters, {
      lr: o.optimizer.lr,
      weightDecay: o.optimizer.weightDecay,
    });
  }

  /**
   * Opens the run folder and resumes from its newest valid checkpoint (unless `resume` is false);
   * with several ranks, rank 0 does so and the others receive its weights and state.
   */
  static async start<E extends object>(o: SessionOptions): Promise<TrainingSession<E>> {
    let s: TrainingSession<E> | undefined;
    let failure: unknown;
    try {
      s = new TrainingSession<E>(o);
      if (s.folder) {
        if (o.resume !== false) await s.restore();
        else s.folder.metrics.repair(-1);
        s.folder.adoptConfig(s.step);
        if (o.reportTo?.includes('tensorboard')) s.openTensorBoard();
      }
    } catch (e) {
      failure = e;
    }
    const dp = s?.dp ?? o.dataParallel;
    try {
      // Every rank takes part even when rank 0 failed, so that they all stop, naming its error.
      if (dp?.distributed) await synchronize(dp, s, failure);
    } catch (e) {
      failure ??= e;
    }
    if (failure !== undefined) {
      s?.release();
      throw failure;
    }
    return s!;
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
      warmupSteps: warmupStepsOf(o, this.o.totalSteps),
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
        loop.onStep?.(step, metrics, this.o.totalSteps);
        await this.completeStep(loop.state(), step === this.o.totalSteps);
      }
      if (this.folder) await saveModelDir(this.folder.modelDir, (dir) => loop.saveModel(dir));
      this.finish();
    } catch (e) {
      this.fail(e);
      throw e;
    } finally {
      this.release();
    }
  }

  /**
   * A new event file for this (re)start: after a resume, a START marker at the next step makes
   * TensorBoard drop what earlier files logged from there on (as metrics.jsonl was repaired); then
   * the config, as text and as HParams.
   */
  private openTensorBoard(): void {
    const tb = new TensorBoardWriter(join(this.dir, TENSORBOARD_DIR));
    if (this.step > 0) tb.start(this.step + 1);
    const json = JSON.stringify(this.o.config, null, 2);
    tb.text(
      this.step,
      'config',
      json
        .split('\n')
        .map((line) => `    ${line}`)
        .join('\n'),
    );
    tb.hparams(flattenHParams(this.o.config));
    this.tensorboard = tb;
  }

  private release(): void {
    this.optimizer.dispose();
    this.precision.dispose();
    this.lock?.release();
  }

  /** Drops every gradient: the masters' and the reduced-precision parameters' own. */
  zeroGrad(): void {
    this.optimizer.zeroGrad();
    this.precision.zeroModelGrads();
  }

  /**
   * The one place a loss becomes an update: zero the gradients, backpropagate `loss` times `share`
   * (this rank's fraction of the update's weight; 1 in one process), then {@link optimizerStep} on
   * the loss summed over ranks. Returns whether the update was applied.
   */
  applyLoss(loss: Tensor, lr: number, share = 1): boolean {
    this.zeroGrad();
    this.backward(loss, share);
    const [total] = this.dp.sum([loss.item() * share]);
    return this.optimizerStep(total!, lr).applied;
  }

  /**
   * Accumulates the gradient of `share`·`loss`, `share` being this part's fraction of the update's
   * weight (its tokens, pairs or rows over those of the whole update, on every rank): the gradients
   * then add up to those of the global mean loss. Reduced-precision gradients are folded into the
   * float32 masters' at once, so accumulation over parts happens in float32.
   */
  backward(loss: Tensor, share = 1): void {
    (share === 1 ? loss : loss.mul(share)).backward();
    this.precision.foldGradients();
  }

  /**
   * One optimizer step from gradient accumulation over micro-batches (accumulate.ts): zero the
   * gradients, backpropagate Σ_j (w_j/Σw)·L_j one micro-batch at a time, then {@link optimizerStep}.
   * Every trainer's micro-batching goes through here, so an algorithm gets it by calling this.
   *
   * Over data-parallel ranks, `parts` are this rank's and Σw runs over every rank's parts: `total`
   * when the caller knows it, else summed over the ranks. The returned loss and metrics are the
   * global ones, on every rank. A rank whose parts weigh nothing still takes part.
   */
  applyMicroBatches<P>(
    parts: readonly WeightedPart<P>[],
    lossOf: (part: P) => PartLoss,
    lr: number,
    total?: number,
  ): Accumulated & { gradNorm: number; applied: boolean } {
    this.zeroGrad();
    const fold = () => this.precision.foldGradients();
    if (!this.dp.distributed) {
      const accumulated = backwardWeighted(parts, lossOf, fold);
      return { ...accumulated, ...this.optimizerStep(accumulated.loss, lr) };
    }
    const local = parts.reduce((s, p) => s + p.weight, 0);
    const all = total ?? this.dp.sum([local])[0]!;
    if (!(all > 0))
      throw new Error(`micro-batch weights must sum to a positive number over the ranks, got ${all}`);
    // backwardWeighted normalises by this rank's sum: scale each loss by this rank's share of all.
    const share = local / all;
    const mine =
      local > 0
        ? backwardWeighted(
            parts,
            (part) => {
              const out = lossOf(part);
              const metrics = Object.fromEntries(
                Object.entries(out.metrics ?? {}).map(([k, v]) => [k, v * share]),
              );
              return { loss: out.loss.mul(share), metrics };
            },
            fold,
          )
        : { loss: 0, metrics: {} };
    const { [LOSS_KEY]: loss, ...metrics } = this.dp.combine([
      { metrics: { ...mine.metrics, [LOSS_KEY]: mine.loss }, share: 1 },
    ]);
    return { loss: loss!, metrics, ...this.optimizerStep(loss!, lr) };
  }

  /**
   * Steps AdamW at `lr` on the gradients accumulated so far: sums them over ranks, clips their
   * global norm, then checks `loss` (the update's loss over every rank) and the norm: non-finite
   * stops the run ('stop') or skips this update ('skip'), on every rank alike.
   */
  optimizerStep(loss: number, lr: number): { gradNorm: number; applied: boolean } {
    this.precision.foldGradients(); // a no-op unless a caller backpropagated on its own
    this.dp.sumGradients(this.optimizer.params);
    const gradNorm = clipGradNorm(this.optimizer.params, this.o.optimizer.maxGradNorm);
    if (!this.guard({ loss, 'gradient norm': gradNorm })) {
      this.zeroGrad();
      return { gradNorm, applied: false };
    }
    this.optimizer.step(lr);
    this.precision.syncToModel();
    // Free the gradients now: otherwise they would occupy a policy's worth of memory through the
    // next rollout and measurements, until the next update zeroes them.
    this.zeroGrad();
    return { gradNorm, applied: true };
  }

  /** What the other ranks need from rank 0 to continue exactly where it does. */
  startHeader(): StartHeader {
    const st = this.optimizer.state();
    return {
      step: this.step,
      extra: this.extra,
      optimizerStep: st.step,
      optimizerParamSteps: st.paramSteps,
      rngs: Object.fromEntries(
        Object.entries(this.o.rngs).map(([k, g]) => [k, Buffer.from(g.getState()).toString('base64')]),
      ),
    };
  }

  /** Takes rank 0's state (every rank calls it: the tensors arrive by broadcast). */
  async adopt(h: StartHeader): Promise<void> {
    await this.dp.broadcastTensors(this.precision.masters);
    this.precision.syncToModel();
    if (h.optimizerStep > 0) {
      const st = this.optimizer.state();
      await this.dp.broadcastTensors([...st.expAvg, ...st.expAvgSq]);
    }
    if (this.dp.isMain) return;
    const st = this.optimizer.state();
    this.optimizer.loadState({ ...st, step: h.optimizerStep, paramSteps: h.optimizerParamSteps });
    for (const [name, g] of Object.entries(this.o.rngs)) {
      const state = h.rngs[name];
      if (state === undefined) throw new Error(`rank 0 sent no state for generator "${name}"`);
      g.setState(Buffer.from(state, 'base64'));
    }
    this.step = h.step;
    this.extra = h.extra as Extra | undefined;
    if (h.step > 0) this.log(`rank ${this.dp.rank}: resumed from rank 0's state (step ${h.step})`);
  }

  private async restore(): Promise<void> {
    const folder = this.folder!;
    const checkpoints = this.checkpoints!;
    const ck = await checkpoints.loadLatest();
    if (!ck) {
      // Checkpoints exist but none verifies: starting over would silently discard the run's
      // metrics, so refuse and let the user decide.
      if (checkpoints.count() > 0) {
        throw new Error(
          `every checkpoint in ${folder.checkpointDir} is unusable (see the messages above); ` +
            'nothing was changed. Start over with --fresh (or resume: false), or restore a checkpoint.',
        );
      }
      if (this.o.resume === true) this.log(`no checkpoint in ${folder.checkpointDir}; starting from step 0`);
      folder.metrics.repair(-1);
      return;
    }
    noGrad(() => {
      for (const [name, p] of this.masterParams()) p.copy_(required(ck.tensors, `model.${name}`, ck.path));
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
    const repaired = folder.metrics.repair(ck.step);
    this.log(
      `resumed ${this.o.name} from ${ck.path} (step ${ck.step})` +
        (repaired.droppedLines || repaired.tornBytes
          ? `; metrics log: dropped ${repaired.droppedLines} lines after that step and ${repaired.tornBytes} torn bytes`
          : ''),
    );
    // A truncated or deleted log cannot be recomputed: say which steps it lacks.
    const missing = missingSteps(folder.metrics.read(), ck.step);
    if (missing)
      this.log(
        `warning: ${folder.metrics.path} lacks steps ${missing} of the ${ck.step} completed ` +
          '(truncated or deleted?); they are not recomputed, training continues from the checkpoint',
      );
  }

  /**
   * Checks named scalars before an optimizer step. Returns false when the step must be skipped
   * ('skip' policy); throws NonFiniteError under 'stop' (the default).
   */
  private guard(values: Record<string, number>): boolean {
    let bad = firstNonFinite(values);
    if (this.dp.distributed) {
      // The inputs are already global; reducing the verdict keeps the ranks in step regardless.
      const names = Object.keys(values);
      const flags = this.dp.max(names.map((n) => (n === bad ? 1 : 0)));
      bad = names.find((_, i) => flags[i] === 1) ?? null;
    }
    return this.onNonFinite(bad, 'this update', true);
  }

  /**
   * Checks tensors (optionally masked) and scalars of the step being taken, e.g. a rollout's
   * rewards and log-probs: returns false when the caller must skip the step ('skip' policy, when
   * `canSkip`); throws NonFiniteError naming the step and the tensor otherwise. `canSkip: false`
   * is for values measured after an update, which can no longer be skipped. With several ranks
   * every rank calls it at the same point and all take the same decision.
   */
  checkFinite(
    values: Record<string, CheckedTensor | number | null>,
    o: { canSkip?: boolean; hint?: string } = {},
  ): boolean {
    let bad = describeNonFinite(values);
    if (this.dp.distributed && this.dp.max([bad === null ? 0 : 1])[0] === 1)
      bad ??= 'a value on another rank (named in its log)';
    return this.onNonFinite(bad, "this step's updates", o.canSkip ?? true, o.hint);
  }

  private onNonFinite(bad: string | null, skipped: string, canSkip: boolean, hint?: string): boolean {
    if (bad === null) return true;
    const step = this.step + 1;
    if (this.o.nonFinite === 'skip' && canSkip) {
      this.log(`step ${step}: non-finite ${bad}; skipping ${skipped}`);
      return false;
    }
    throw new NonFiniteError(step, bad, this.checkpoints?.latestValidName() ?? null, {
      maxGradNorm: this.o.optimizer.maxGradNorm,
      hint,
    });
  }

  /** Appends a metrics line (rank 0; the other ranks hold the same, already reduced, values). */
  logMetrics(record: Omit<MetricRecord, 'step'>, step = this.step): void {
    this.folder?.metrics.append({ step, ...record } as MetricRecord);
    this.tensorboard?.scalars(step, record);
  }

  /** A text sample (e.g. generated responses) in TensorBoard's Text dashboard, when it is reported to. */
  logText(tag: string, text: string, step = this.step): void {
    this.tensorboard?.text(step, tag, text);
  }

  /** Records a completed step and writes a checkpoint when due (or when forced). */
  private async completeStep(extra: Extra, force = false): Promise<void> {
    this.step += 1;
    if (force || (this.o.checkpointEvery > 0 && this.step % this.o.checkpointEvery === 0))
      await this.checkpoint(extra);
  }

  private async checkpoint(extra: Extra): Promise<string | null> {
    if (!this.checkpoints) return null;
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

  finish(): void {
    this.folder?.finish('done');
    this.tensorboard?.hparamsEnd(true);
  }

  /** The trainable tensors by name as the optimizer and checkpoints hold them (float32 masters). */
  private masterParams(): Map<string, Tensor> {
    const names = [...this.o.params.keys()];
    return new Map(names.map((name, i) => [name, this.precision.masters[i]!]));
  }

  /**
   * Marks the run failed. Never throws: when run.json cannot be written (the disk that just failed
   * a checkpoint is full or read-only), the caller's original error must still be the one reported.
   */
  private fail(e: unknown): void {
    try {
      this.folder?.finish('failed', e instanceof Error ? e.message : String(e));
      this.tensorboard?.hparamsEnd(false);
    } catch (writeError) {
      this.log(`could not mark the run as failed: ${(writeError as Error).message}`);
    }
  }
}

/**
 * Every parameter given to train must require gradients: a model loaded frozen (the loaders'
 * default, for scoring and sampling) would otherwise fail deep in autograd at the first backward.
 */
function requireTrainable(params: Map<string, Tensor>): void {
  const frozen = [...params].filter(([, p]) => !p.requiresGrad).map(([name]) => name);
  if (frozen.length === 0) return;
  const shown = frozen.slice(0, 3).join(', ') + (frozen.length > 3 ? `, … (${frozen.length} in all)` : '');
  throw new Error(
    `${frozen.length === params.size ? 'the model is' : 'parameters are'} frozen (${shown} do not require gradients): ` +
      'load the model to train with { trainable: true }, e.g. loadCausalLM(dir, { trainable: true }), ' +
      'loadRewardModel(dir, { trainable: true }) or LMPolicy.load(dir, { trainable: true })',
  );
}

function required(m: Map<string, Tensor>, name: string, path: string): Tensor {
  const t = m.get(name);
  if (!t)
    throw new Error(
      `checkpoint ${path} lacks tensor ${name}: it was written by a different model or trainer`,
    );
  return t;
}

/**
 * Rank 0's outcome of opening the run reaches every rank: its error (then all throw it), or its
 * step, trainer state, optimizer counters and generator states, then its weights and, once
 * training has begun, its optimizer moments.
 */
async function synchronize<E extends object>(
  dp: DataParallel,
  s: TrainingSession<E> | undefined,
  failure: unknown,
): Promise<void> {
  let header: StartHeader | undefined;
  if (dp.isMain) {
    header =
      failure !== undefined || !s
        ? { error: failure instanceof Error ? failure.message : String(failure), ...EMPTY_HEADER }
        : s.startHeader();
  }
  const received = await dp.broadcastJson(header ?? EMPTY_HEADER);
  if (received.error !== undefined) {
    if (dp.isMain) return; // its own error is rethrown by start()
    throw new Error(`rank 0 could not start the run: ${received.error}`);
  }
  if (failure !== undefined || !s) return; // this rank failed: stop (the others fail at the next collective)
  await s.adopt(received);
}

/** The loss among the metrics reduced over ranks (a name no metric has). */
const LOSS_KEY = '\u0000loss';

const EMPTY_HEADER: StartHeader = { step: 0, optimizerStep: 0, optimizerParamSteps: [], rngs: {} };
