/**
 * metrics.jsonl: one JSON object per line, appended with a single write per line (line-atomic
 * in practice). A crash can still tear the last line; `repair` truncates a torn tail and drops
 * lines past the checkpoint a run resumes from, so steps are never duplicated.
 */
import { appendFileSync, existsSync, readFileSync, truncateSync } from 'node:fs';

export type MetricRecord = { step: number } & Record<string, number>;

export class MetricsLog {
  constructor(readonly path: string) {}

  append(record: MetricRecord): void {
    appendFileSync(this.path, `${JSON.stringify(record)}\n`);
  }

  /** Every complete line (a torn last line is ignored). */
  read(): MetricRecord[] {
    if (!existsSync(this.path)) return [];
    return completeLines(readFileSync(this.path, 'utf8')).map((l) => JSON.parse(l) as MetricRecord);
  }

  /**
   * Makes the log consistent with a resume from `lastStep`: cuts a torn last line and every line
   * whose step is greater than lastStep. Returns what was removed, for the resume message.
   */
  repair(lastStep: number): { tornBytes: number; droppedLines: number } {
    if (!existsSync(this.path)) return { tornBytes: 0, droppedLines: 0 };
    const text = readFileSync(this.path, 'utf8');
    const lines = completeLines(text);
    const keptBytesOfComplete = lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
    const tornBytes = Buffer.byteLength(text) - keptBytesOfComplete;
    let keep = lines.length;
    while (keep > 0 && (parseStep(lines[keep - 1]!) ?? Number.POSITIVE_INFINITY) > lastStep) keep--;
    const bytes = lines.slice(0, keep).reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
    truncateSync(this.path, bytes);
    return { tornBytes, droppedLines: lines.length - keep };
  }
}

function completeLines(text: string): string[] {
  const parts = text.split('\n');
  parts.pop(); // the text after the last newline: empty, or a torn line
  return parts.filter((l) => l.length > 0 && isJsonObject(l));
}

function isJsonObject(line: string): boolean {
  try {
    const v = JSON.parse(line);
    return typeof v === 'object' && v !== null;
  } catch {
    return false;
  }
}

function parseStep(line: string): number | undefined {
  const v = JSON.parse(line) as { step?: unknown };
  return typeof v.step === 'number' ? v.step : undefined;
}
