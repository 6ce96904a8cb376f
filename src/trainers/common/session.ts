/**
 * The bookkeeping every trainer shares, kept out of the algorithms so each reads top to bottom:
 * run folder, resume from the newest valid checkpoint (model, optimizer, RNGs, trainer state),
 * metrics logging without duplicated steps, periodic atomic checkpoints, NaN/Inf guards.
 */
import { type AdamW, type Generator, type Tensor, noGrad } from '../../tensor/index.ts';
import { type CheckpointState, CheckpointManager } from './checkpoint.ts';
import { NonFiniteError, type NonFinitePolicy, firstNonFinite } from './guards.ts';
import type { MetricRecord } from './metrics-log.ts';
import { type RunKind, type RunLabels, RunDir } from './run-dir.ts';

export interface SessionOptions {
  runDir: string;
  name: string;
  kind: RunKind;
  labels: RunLabels;
  config: unknown;
  /** Trainable tensors by name (saved and restored in checkpoints). */
  params: Map<string, Tensor>;
  optimizer: AdamW;
  /** Every random generator whose state must survive a resume. */
  rngs: Record<string, Generator>;
  checkpointEvery: number;
  keepCheckpoints: number;
  /** 'auto' resumes when the run folder has a checkpoint; false starts over. */
  resume: boolean | 'auto';
  nonFinite: NonFinitePolicy;
  log?: (msg: string) => void;
}

export class TrainingSession<Extra extends object = Record<string, unknown>> {
  /** Number of completed optimizer steps (the next step to run is `step + 1`). */
  step = 0;
  /** Trainer-specific state restored from the checkpoint (data cursor, counters…), if any. */
  extra: Extra | undefined;
  readonly run: RunDir;
  private readonly checkpoints: CheckpointManager;
  private readonly log: (msg: string) => void;

  private constructor(private readonly o: SessionOptions) {
    this.log = o.log ?? ((m) => console.error(m));
    this.run = RunDir.open(o.runDir, { name: o.name, kind: o.kind, labels: o.labels, config: o.config });
    this.checkpoints = new CheckpointManager(this.run.checkpointDir, o.keepCheckpoints, this.log);
  }

  static async start<E extends object>(o: SessionOptions): Promise<TrainingSession<E>> {
    const s = new TrainingSession<E>(o);
    if (o.resume !== false) await s.restore();
    else s.run.metrics.repair(-1);
    return s;
  }

  private async restore(): Promise<void> {
    const ck = await this.checkpoints.loadLatest();
    if (!ck) {
      // Checkpoints exist but none verifies: starting over would silently discard the run's
      // metrics, so refuse and let the user decide.
      if (this.checkpoints.count() > 0) {
        throw new Error(
          `every checkpoint in ${this.run.checkpointDir} is unusable (see the messages above); ` +
            'nothing was changed. Start over with --fresh (or resume: false), or restore a checkpoint.',
        );
      }
      if (this.o.resume === true)
        this.log(`no checkpoint in ${this.run.checkpointDir}; starting from step 0`);
      this.run.metrics.repair(-1);
      return;
    }
    noGrad(() => {
      for (const [name, p] of this.o.params) p.copy_(required(ck.tensors, `model.${name}`, ck.path));
      const n = this.o.optimizer.params.length;
      this.o.optimizer.loadState({
        step: ck.state.optimizerStep as number,
        paramSteps: ck.state.optimizerParamSteps as number[],
        expAvg: Array.from({ length: n }, (_, i) => required(ck.tensors, `optim.exp_avg.${i}`, ck.path)),
        expAvgSq: Array.from({ length: n }, (_, i) => required(ck.tensors, `optim.exp_avg_sq.${i}`, ck.path)),
      });
    });
    for (const t of ck.tensors.values()) t.dispose();
    for (const [name, g] of Object.entries(this.o.rngs)) {
      const state = (ck.state.rngs as Record<string, string> | undefined)?.[name];
      if (state === undefined) throw new Error(`checkpoint ${ck.path} has no state for generator "${name}"`);
      g.setState(Buffer.from(state, 'base64'));
    }
    this.step = ck.step;
    this.extra = ck.state.extra as Extra;
    const repaired = this.run.metrics.repair(ck.step);
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
  guard(values: Record<string, number>, step = this.step + 1): boolean {
    const bad = firstNonFinite(values);
    if (bad === null) return true;
    if (this.o.nonFinite === 'skip') {
      this.log(`step ${step}: non-finite ${bad}; skipping this update`);
      return false;
    }
    throw new NonFiniteError(step, bad, this.checkpoints.latestValidName());
  }

  logMetrics(record: Omit<MetricRecord, 'step'>, step = this.step): void {
    this.run.metrics.append({ step, ...record } as MetricRecord);
  }

  /** Records a completed step and writes a checkpoint when due (or when forced). */
  async completeStep(extra: Extra, force = false): Promise<void> {
    this.step += 1;
    if (force || (this.o.checkpointEvery > 0 && this.step % this.o.checkpointEvery === 0))
      await this.checkpoint(extra);
  }

  async checkpoint(extra: Extra): Promise<string> {
    const tensors = new Map<string, Tensor>();
    for (const [name, p] of this.o.params) tensors.set(`model.${name}`, p);
    const st = this.o.optimizer.state();
    st.expAvg.forEach((t, i) => tensors.set(`optim.exp_avg.${i}`, t));
    st.expAvgSq.forEach((t, i) => tensors.set(`optim.exp_avg_sq.${i}`, t));
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
    this.run.finish('done');
  }

  /**
   * Marks the run failed. Never throws: when run.json cannot be written (the disk that just failed
   * a checkpoint is full or read-only), the caller's original error must still be the one reported.
   */
  fail(e: unknown): void {
    try {
      this.run.finish('failed', e instanceof Error ? e.message : String(e));
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
