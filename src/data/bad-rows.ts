/**
 * Bad rows and the errors of the data layer. {@link DatasetError} is any problem with a dataset file
 * as a whole (cannot be read, unknown format, no rows, every row bad); {@link DataError} is one bad
 * row and extends it, so a single `instanceof DatasetError` catches both. {@link DataOptionsError} is
 * a misconfigured load. Row checks signal a bad row with {@link rejectRow}; the loader adds the file
 * and row number and applies the bad-row policy: with 'fail' the first bad row throws a DataError,
 * with 'skip' bad rows are kept for the caller and summarised by kind ("2 missing field, 1 over-long").
 */
import type { BadRow, BadRowKind, RowProblem } from './types.ts';

/** A dataset file that cannot be used; the message starts with the file name. */
export class DatasetError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'DatasetError';
  }
}

/** One bad row, e.g. `data/train.jsonl: row 17: field "chosen": expected a string or a message list, got number`. */
export class DataError extends DatasetError {
  constructor(readonly bad: BadRow) {
    super(bad.file, describeBadRow(bad));
    this.name = 'DataError';
  }
}

/** Load options that contradict each other or are out of range; raised before any file is read. */
export class DataOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataOptionsError';
  }
}

/** `row 17: field "chosen": <reason>`, or `row 17: <reason>` when the problem is not tied to one field. */
export function describeBadRow(bad: Pick<BadRow, 'row' | 'field' | 'reason'>): string {
  const field = bad.field ? `field "${bad.field}": ` : '';
  return `row ${bad.row}: ${field}${bad.reason}`;
}

/**
 * Internal signal that a row is bad. Row checks throw it with the problem; the loader catches it, adds
 * the file and row number, and applies the bad-row policy. It never escapes the loaders.
 */
export class RowRejection extends Error {
  constructor(readonly problem: RowProblem) {
    super(problem.reason);
    this.name = 'RowRejection';
  }
}

/** Rejects the current row. */
export function rejectRow(kind: BadRowKind, field: string, reason: string): never {
  throw new RowRejection({ kind, field, reason });
}

/** A short name for the type of a value in messages: string, number, null, array, bytes, object, ... */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Uint8Array) return 'bytes';
  return typeof value;
}

/** The bad-row policy of one load. */
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
