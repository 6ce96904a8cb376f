/**
 * metrics.jsonl: one JSON object per line, appended with a single write per line (line-atomic
 * in practice). A crash can still tear the last line; `repair` truncates a torn tail and drops
 * lines past the checkpoint a run resumes from, so steps are never duplicated.
 */
import { appendFileSync, existsSync, readFileSync, truncateSync } from 'node:fs';
import { writeFileAtomic } from '../io/atomic-write.ts';

export type MetricRecord = { step: number } & Record<string, number>;

export class MetricsLog {
  constructor(readonly path: string) {}

  append(record: MetricRecord): void {
    try {
      appendFileSync(this.path, `${JSON.stringify(record)}\n`);
    } catch (e) {
      throw new Error(
        `cannot append step ${record.step} to the metrics log ${this.path}: ${(e as Error).message}`,
      );
    }
  }

  /** Every complete line (a torn last line, and any line that is not a JSON object, are ignored). */
  read(): MetricRecord[] {
    if (!existsSync(this.path)) return [];
    return parseLines(readFileSync(this.path)).valid.map((l) => l.record);
  }

  /**
   * Makes the log consistent with a resume from `lastStep`: cuts a torn last line and every line
   * whose step is greater than lastStep. Returns what was removed, for the resume message
   * (tornBytes counts every byte that was not part of a complete JSON line).
   */
  repair(lastStep: number): { tornBytes: number; droppedLines: number } {
    if (!existsSync(this.path)) return { tornBytes: 0, droppedLines: 0 };
    const bytes = readFileSync(this.path);
    const { valid, validBytes } = parseLines(bytes);
    let keep = valid.length;
    while (keep > 0 && !(valid[keep - 1]!.record.step <= lastStep)) keep--;
    const kept = valid.slice(0, keep);
    // Usually the kept lines are a prefix of the file and truncating suffices; a broken line in
    // between (a torn line later appended to) needs a rewrite without it.
    if (kept.every((l, i) => l.index === i))
      truncateSync(this.path, kept.length ? kept[kept.length - 1]!.end : 0);
    else writeFileAtomic(this.path, Buffer.concat(kept.map((l) => bytes.subarray(l.start, l.end))));
    return { tornBytes: bytes.length - validBytes, droppedLines: valid.length - keep };
  }
}

interface Line {
  /** Position among all newline-terminated lines of the file. */
  index: number;
  start: number;
  /** Just past the line's newline. */
  end: number;
  record: MetricRecord;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The newline-terminated lines that hold a JSON object (bytes after the last newline are torn). */
function parseLines(bytes: Buffer): { valid: Line[]; validBytes: number } {
  const valid: Line[] = [];
  let validBytes = 0;
  let start = 0;
  for (let index = 0, nl = bytes.indexOf(10); nl !== -1; index++, nl = bytes.indexOf(10, start)) {
    const record = parseRecord(bytes.subarray(start, nl));
    if (record) {
      valid.push({ index, start, end: nl + 1, record });
      validBytes += nl + 1 - start;
    }
    start = nl + 1;
  }
  return { valid, validBytes };
}

function parseRecord(line: Uint8Array): MetricRecord | null {
  if (line.length === 0) return null;
  try {
    const v = JSON.parse(utf8.decode(line)) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
    return v as MetricRecord;
  } catch {
    return null;
  }
}

/** The steps 1..lastStep that no record has, as ranges ("4–9, 12"), or null when none is missing. */
export function missingSteps(records: readonly MetricRecord[], lastStep: number): string | null {
  const logged = new Set(records.map((r) => r.step));
  const ranges: string[] = [];
  for (let s = 1; s <= lastStep; s++) {
    if (logged.has(s)) continue;
    let end = s;
    while (end + 1 <= lastStep && !logged.has(end + 1)) end++;
    ranges.push(end === s ? `${s}` : `${s}–${end}`);
    s = end;
  }
  return ranges.length ? ranges.join(', ') : null;
}

/** Key-wise means of metric records (a key missing from some records is averaged over the others). */
export function meanMetrics(records: readonly Record<string, number>[]): Record<string, number> {
  const sums = new Map<string, { total: number; count: number }>();
  for (const record of records)
    for (const [key, value] of Object.entries(record)) {
      const sum = sums.get(key) ?? { total: 0, count: 0 };
      sum.total += value;
      sum.count += 1;
      sums.set(key, sum);
    }
  return Object.fromEntries([...sums].map(([key, s]) => [key, s.total / s.count]));
}
