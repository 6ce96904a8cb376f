/** A run folder (docs/run-folder.md): run.json, metrics.jsonl, checkpoints/, model/. */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { writeFileAtomic } from '../io/atomic-write.ts';
import { makeDirs } from '../io/make-dirs.ts';
import { MetricsLog } from './metrics-log.ts';
import { TENSORBOARD_DIR } from './tensorboard.ts';

/** The files with a fixed name in a run folder. */
export const RUN_FILE = 'run.json';
export const METRICS_FILE = 'metrics.jsonl';

/** What a trainer writes into a run folder; `--fresh` deletes exactly these (nothing else in it). */
export const RUN_FOLDER_ENTRIES = [
  'checkpoints',
  'model',
  'cache',
  METRICS_FILE,
  RUN_FILE,
  TENSORBOARD_DIR,
] as const;

/**
 * Why writing run folder `out` would overwrite or delete the input `path` (a model or data file the
 * run reads), or null when it cannot: `path` is `out` itself or lies inside one of the entries a
 * run writes and `--fresh` deletes (`sft --set out=DIR` with `model: DIR/model` deleted its own
 * model before reading it).
 */
export function inputInsideRunFolder(out: string, path: string): string | null {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  const outDir = real(out);
  const input = real(path);
  if (input === outDir) return `it is the run folder itself`;
  for (const entry of RUN_FOLDER_ENTRIES) {
    const owned = join(outDir, entry);
    if (input === owned || input.startsWith(`${owned}${sep}`))
      return `it lies in ${join(out, entry)}, which the run writes (and --fresh deletes)`;
  }
  return null;
}

/** sft, rm, po, rl: training runs; bon: a best-of-n curve (no training). */
export type RunKind = 'sft' | 'rm' | 'po' | 'rl' | 'bon';
/** interrupted: stopped by a signal after writing a checkpoint (rerun the command to resume). */
export type RunStatus = 'running' | 'done' | 'failed' | 'interrupted';

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
  /** Steps that skipped their update for non-finite values (`nonFinite: skip`), when any. */
  skippedSteps?: number;
}

export interface ConfigHistoryEntry {
  step: number;
  at: string;
  config: unknown;
  changed?: string[];
}

export class RunDir {
  readonly metrics: MetricsLog;
  /** The status run.json had before this process opened the folder (undefined: a new folder). */
  previousStatus: RunStatus | undefined;
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
      makeDirs(join(dir, 'checkpoints'));
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
    run.previousStatus = previous?.status;
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

  finish(
    status: 'done' | 'failed' | 'interrupted',
    error?: string,
    extra: Pick<RunInfo, 'skippedSteps'> = {},
  ): void {
    this.info = {
      ...this.info,
      ...extra,
      status,
      finishedAt: new Date().toISOString(),
      ...(error ? { error } : {}),
    };
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
