/**
 * Reading run folders (see docs/run-folder.md) for the report and the dashboard: discovery of every
 * folder holding a `run.json`, and tolerant parsing of `run.json` and `metrics.jsonl`, which a live
 * trainer (run-dir.ts) may be writing while we read.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readRegularFile } from '../io/regular-file.ts';
import { METRICS_FILE, RUN_FILE, type RunLabels } from './run-dir.ts';

export { METRICS_FILE, RUN_FILE, type RunLabels };

/** One `metrics.jsonl` line, numeric fields only (`step`, `time` and every metric). */
export type MetricLine = Record<string, number>;

/** A run folder as read from disk. */
export interface RunRecord {
  /** Absolute path of the run folder. */
  dir: string;
  name: string;
  /** `sft | rm | po | rl` by contract; kept as read otherwise. */
  kind: string;
  labels: RunLabels;
  /** `running | done | failed` by contract. */
  status: string;
  metrics: MetricLine[];
}

/** Outcome of parsing `metrics.jsonl`. */
export interface MetricsRead {
  lines: MetricLine[];
  /** The incomplete final line that was ignored (a write in progress), or null. */
  tornLine: string | null;
  /** 1-based line numbers of complete lines that were not valid JSON objects (skipped). */
  malformedLines: number[];
}

/** Sub-folders of a run folder that hold model weights, never nested runs: not searched. */
const RUN_PAYLOAD_FOLDERS = new Set(['checkpoints', 'model']);
/** Folders never searched for runs. */
const IGNORED_FOLDERS = new Set(['node_modules', '.git']);

/**
 * Every folder under `root` (including `root` itself) that holds a `run.json`, at any depth,
 * sorted by path. Symbolic links are not followed, so the search never leaves `root`.
 */
export async function findRuns(root: string): Promise<string[]> {
  const found: string[] = [];
  await collectRunFolders(root, found);
  return found.sort();
}

async function collectRunFolders(dir: string, found: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const isRun = entries.some((e) => e.isFile() && e.name === RUN_FILE);
  if (isRun) found.push(dir);
  for (const entry of entries) {
    if (!entry.isDirectory() || IGNORED_FOLDERS.has(entry.name)) continue;
    if (isRun && RUN_PAYLOAD_FOLDERS.has(entry.name)) continue;
    await collectRunFolders(join(dir, entry.name), found);
  }
}

/**
 * Parses JSONL text. A final line without its newline is accepted when it is a complete JSON object
 * (metric lines are flat, so no strict prefix of one parses) and reported as torn otherwise.
 */
export function parseMetricsText(text: string): MetricsRead {
  const rawLines = text.split('\n');
  const last = rawLines.pop() ?? '';
  const lines: MetricLine[] = [];
  const malformedLines: number[] = [];
  rawLines.forEach((raw, index) => {
    if (raw.trim() === '') return;
    const parsed = parseMetricLine(raw);
    if (parsed) lines.push(parsed);
    else malformedLines.push(index + 1);
  });
  let tornLine: string | null = null;
  if (last.trim() !== '') {
    const parsed = parseMetricLine(last);
    if (parsed) lines.push(parsed);
    else tornLine = last;
  }
  return { lines, tornLine, malformedLines };
}

/** One JSON line → its numeric fields, or null when it is not a JSON object. */
export function parseMetricLine(raw: string): MetricLine | null {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const line: MetricLine = {};
  for (const [key, field] of Object.entries(value)) {
    if (typeof field === 'number' && Number.isFinite(field)) line[key] = field;
  }
  return line;
}

/**
 * Reads `metrics.jsonl` of a run folder (or the file `path`); a missing file reads as no lines.
 * Only a regular file is read, within a time limit (io/regular-file.ts): a FIFO is an error.
 */
export async function readMetrics(runDir: string, path = join(runDir, METRICS_FILE)): Promise<MetricsRead> {
  const bytes = await readRegularFile(path);
  return parseMetricsText(bytes === null ? '' : bytes.toString('utf8'));
}

/** Identity fields of `run.json`, with defaults for anything missing (the name defaults to the folder). */
export interface RunIdentity {
  name: string;
  kind: string;
  labels: RunLabels;
  status: string;
}

/** Reads `run.json`; an unreadable or half-written file yields status `unknown`, not an exception. */
export async function readRunIdentity(runDir: string): Promise<RunIdentity> {
  const fallbackName = runDir.split(/[\\/]/).filter(Boolean).pop() ?? runDir;
  let json: Record<string, unknown> = {};
  try {
    const bytes = await readRegularFile(join(runDir, RUN_FILE));
    const parsed: unknown = JSON.parse(bytes?.toString('utf8') ?? '');
    if (typeof parsed === 'object' && parsed !== null) json = parsed as Record<string, unknown>;
  } catch {
    return { name: fallbackName, kind: 'unknown', labels: {}, status: 'unknown' };
  }
  const labels = typeof json.labels === 'object' && json.labels !== null ? (json.labels as RunLabels) : {};
  return {
    name: typeof json.name === 'string' ? json.name : fallbackName,
    kind: typeof json.kind === 'string' ? json.kind : 'unknown',
    labels,
    status: typeof json.status === 'string' ? json.status : 'unknown',
  };
}

/** Reads one run folder completely. */
export async function readRun(runDir: string): Promise<RunRecord> {
  const [info, metrics] = await Promise.all([readRunIdentity(runDir), readMetrics(runDir)]);
  return { dir: runDir, ...info, metrics: metrics.lines };
}

/** Every run under `root`, read completely. */
export async function readRuns(root: string): Promise<RunRecord[]> {
  const dirs = await findRuns(root);
  return Promise.all(dirs.map(readRun));
}
