/**
 * Internal signal that a row is bad. Row checks throw it with the problem; the loader catches it, adds
 * the file and row number, and applies the bad-row policy. It never escapes the loaders.
 */
import type { BadRowKind, RowProblem } from './types.ts';

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
