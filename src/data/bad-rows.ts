/**
 * The bad-row policy: with 'fail' the first bad row throws a DataError; with 'skip' bad rows are kept
 * for the caller and summarised by kind ("2 missing field, 1 over-long").
 */
import { DataError } from './errors.ts';
import type { BadRow, RowProblem } from './types.ts';

export class BadRowPolicy {
  readonly skipped: BadRow[] = [];

  constructor(
    readonly file: string,
    readonly mode: 'fail' | 'skip',
  ) {}

  /** Records the bad row, or throws it as a DataError in 'fail' mode. */
  reject(row: number, problem: RowProblem): void {
    const bad: BadRow = { file: this.file, row, ...problem };
    if (this.mode === 'fail') throw new DataError(bad);
    this.skipped.push(bad);
  }
}

/** Counts per kind, most frequent first (ties in order of first appearance): "2 missing field, 1 over-long". */
export function countByKind(bad: readonly BadRow[]): string {
  const counts = new Map<string, number>();
  for (const { kind } of bad) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  const ordered = [...counts].sort((a, b) => b[1] - a[1]);
  return ordered.map(([kind, n]) => `${n} ${kind}`).join(', ');
}

/** The one-line summary logged after a load that skipped rows. */
export function skippedSummary(file: string, skipped: readonly BadRow[], rowsRead: number): string {
  return `skipped ${skipped.length} of ${rowsRead} rows in ${file}: ${countByKind(skipped)}`;
}
