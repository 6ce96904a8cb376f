/** A run folder (docs/run-folder.md): run.json, metrics.jsonl, checkpoints/, model/. */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-fs.ts';
import { MetricsLog } from './metrics-log.ts';

/** The files with a fixed name in a run folder. */
export const RUN_FILE = 'run.json';
export const METRICS_FILE = 'metrics.jsonl';

export type RunKind = 'sft' | 'rm' | 'po' | 'rl';
export type RunStatus = 'running' | 'done' | 'failed';

export interface RunLabels {
  algorithm?: string;
  regularizer?: 'kl' | 'entropy' | 'none';
  coef?: number;
  lr?: number;
  seed?: number;
  [key: string]: unknown;
}

export interface RunInfo {
  name: string;
  kind: RunKind;
  status: RunStatus;
  startedAt: string;
  finishedAt?: string;
  labels: RunLabels;
  config: unknown;
  /** Where the run's tensors live ('cpu', 'cuda:0', …). */
  device?: string;
  error?: string;
}

export class RunDir {
  readonly metrics: MetricsLog;
  private info: RunInfo;

  private constructor(
    readonly dir: string,
    info: RunInfo,
  ) {
    this.info = info;
    this.metrics = new MetricsLog(join(dir, METRICS_FILE));
  }

  /** Creates (or re-opens, keeping its start time) a run folder and marks it running. */
  static open(
    dir: string,
    spec: { name: string; kind: RunKind; labels: RunLabels; config: unknown; device?: string },
  ): RunDir {
    try {
      mkdirSync(join(dir, 'checkpoints'), { recursive: true });
    } catch (e) {
      throw new Error(`cannot create run folder ${dir}: ${(e as Error).message}`);
    }
    const previous = RunDir.readInfo(dir);
    const info: RunInfo = {
      ...spec,
      status: 'running',
      startedAt: previous?.startedAt ?? new Date().toISOString(),
    };
    const run = new RunDir(dir, info);
    run.save();
    return run;
  }

  static readInfo(dir: string): RunInfo | undefined {
    const path = join(dir, RUN_FILE);
    if (!existsSync(path)) return undefined;
    return JSON.parse(readFileSync(path, 'utf8')) as RunInfo;
  }

  /** True when a run folder finished successfully (sweeps and the demo cache skip it). */
  static isDone(dir: string): boolean {
    return RunDir.readInfo(dir)?.status === 'done';
  }

  get checkpointDir(): string {
    return join(this.dir, 'checkpoints');
  }
  get modelDir(): string {
    return join(this.dir, 'model');
  }

  finish(status: 'done' | 'failed', error?: string): void {
    this.info = { ...this.info, status, finishedAt: new Date().toISOString(), ...(error ? { error } : {}) };
    this.save();
  }

  private save(): void {
    writeFileAtomic(join(this.dir, RUN_FILE), `${JSON.stringify(this.info, null, 2)}\n`);
  }
}
