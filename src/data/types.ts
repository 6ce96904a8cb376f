/**
 * Plain-string records produced by the dataset loaders, and the description of a rejected row.
 * No tensors here: tokenisation and batching happen in later layers.
 */

/** One supervised fine-tuning example: the model learns `completion` given `prompt`. */
export interface SftExample {
  prompt: string;
  completion: string;
  /** 1-based row as a user sees it: the line number in `.jsonl`, the item number in `.json`, the row in `.parquet`. */
  row: number;
}

/** One preference pair: `chosen` was preferred over `rejected` as a response to `prompt`. */
export interface PreferenceExample {
  prompt: string;
  chosen: string;
  rejected: string;
  /** 1-based row, as in {@link SftExample.row}. */
  row: number;
}

/** Why a row was rejected; also the key of the skipped-rows summary ("2 missing field, 1 over-long"). */
export type BadRowKind =
  | 'invalid JSON'
  | 'invalid UTF-8'
  | 'invalid text'
  | 'not an object'
  | 'missing field'
  | 'wrong type'
  | 'empty text'
  | 'no assistant message'
  | 'prompt mismatch'
  | 'identical pair'
  | 'over-long';

/** A rejected row. `field` is the field name as spelled in the file, or '' for a problem with the whole row. */
export interface BadRow {
  file: string;
  /** 1-based row as a user sees it (the line number in `.jsonl`). */
  row: number;
  field: string;
  reason: string;
  kind: BadRowKind;
}

/** A problem found in one row, before the file and row number are attached. */
export interface RowProblem {
  kind: BadRowKind;
  field: string;
  reason: string;
}
