/**
 * Errors of the data layer. {@link DatasetError} is any problem with a dataset file as a whole (cannot be
 * read, unknown format, no rows, every row bad); {@link DataError} is one bad row and extends it, so a
 * single `instanceof DatasetError` catches both. {@link DataOptionsError} is a misconfigured load.
 */
import type { BadRow } from './types.ts';

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
