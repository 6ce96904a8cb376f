/** A run folder (docs/run-folder.md): run.json, metrics.jsonl, checkpoints/, model/. */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic-write.ts';
import { MetricsLog } from './metrics-log.ts';

/** The files with a fixed name in a run folder. */
export const RUN_FILE = 'run.json';
export const METRICS_FILE = 'metrics.jsonl';

/** sft, rm, po, rl: training runs; bon: a best-of-n curve (no training). */
export type RunKind = 'sft' | 'rm' | 'po' | 'rl' | 'bon';
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
  /** The config training runs with now (since the last entry of configHistory). */
  config: unknown;
  /** Where the run's tensors live ('cpu', 'cuda:0', …); with several ranks, rank 0's. */
  device?: string;
  /** Data-parallel processes that trained the run together (1: one process). */
  worldSize?: number;
  /** Optimizer steps of the whole run (its `steps`, or what its `epochs` come to). */
  totalSteps?: number;
  /**
   * Every config the weights were trained with: `step` is the number of steps completed before it
   * took over (0 for the first); `changed` the key paths that differ from the previous entry.
   */
  configHistory?: ConfigHistoryEntry[];
  error?: string;
}

export interface ConfigHistoryEntry {
  step: number;
  at: string;
  config: unknown;
  changed?: string[];
}

export class RunDir {
  readonly metrics: MetricsLog;
  private info: RunInfo;
  private pendingConfig: unknown;

  private constructor(
    readonly dir: string,
    info: RunInfo,
  ) {
    this.info = info;
    this.metrics = new MetricsLog(join(dir, METRICS_FILE));
  }

  /**
   * Creates (or re-opens, keeping its start time and config history) a run folder and marks it
   * running. Until {@link adoptConfig} says from which step `spec.config` applies, a re-opened
   * folder keeps recording the config its weights were trained with.
   */
  static open(
    dir: string,
    spec: {
      name: string;
      kind: RunKind;
      labels: RunLabels;
      config: unknown;
      device?: string;
      worldSize?: number;
      totalSteps?: number;
    },
  ): RunDir {
    try {
      mkdirSync(join(dir, 'checkpoints'), { recursive: true });
    } catch (e) {
      throw new Error(`cannot create run folder ${dir}: ${(e as Error).message}`);
    }
    const previous = RunDir.readInfo(dir);
    const info: RunInfo = {
      ...spec,
      ...(previous ? { config: previous.config, configHistory: historyOf(previous) } : {}),
      status: 'running',
      startedAt: previous?.startedAt ?? new Date().toISOString(),
    };
    const run = new RunDir(dir, info);
    run.pendingConfig = spec.config;
    run.save();
    return run;
  }

  /** run.json of `dir`, or undefined when there is none; an unreadable one is an error naming it. */
  static readInfo(dir: string): RunInfo | undefined {
    const path = join(dir, RUN_FILE);
    if (!existsSync(path)) return undefined;
    let info: unknown;
    try {
      info = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new Error(
        `${path} is not valid JSON (${(e as Error).message}): repair or delete it, or pass --fresh to start the run over`,
      );
    }
    if (typeof info !== 'object' || info === null || Array.isArray(info))
      throw new Error(
        `${path} is not a JSON object: repair or delete it, or pass --fresh to start the run over`,
      );
    return info as RunInfo;
  }

  /**
   * Records that the config given to {@link open} applies from step `step` on (the step a run
   * resumed from): entries of the history at or after that step are superseded (they trained
   * nothing that was kept), and a config that differs from the last one is appended.
   */
  adoptConfig(step: number): void {
    const config = this.pendingConfig;
    const history = (this.info.configHistory ?? []).filter((e) => e.step < step);
    const last = history[history.length - 1];
    if (!last) history.push({ step, at: new Date().toISOString(), config });
    else {
      const changed = changedPaths(last.config, config);
      if (changed.length) history.push({ step, at: new Date().toISOString(), config, changed });
    }
    this.info = { ...this.info, config, configHistory: history };
    this.save();
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

/** The history of a run.json written before histories were kept: its one config, from step 0. */
function historyOf(info: RunInfo): ConfigHistoryEntry[] {
  if (Array.isArray(info.configHistory)) return info.configHistory;
  return [{ step: 0, at: info.startedAt, config: info.config }];
}

/** Dotted key paths whose values differ between two configs (arrays compared whole). */
export function changedPaths(a: unknown, b: unknown, prefix = ''): string[] {
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(a) || !isObject(b))
    return JSON.stringify(a) === JSON.stringify(b) ? [] : [prefix || '(config)'];
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.flatMap((k) => changedPaths(a[k], b[k], prefix ? `${prefix}.${k}` : k));
}
