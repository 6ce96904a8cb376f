/** What every format reader of the data loaders returns (read-rows.ts, read-parquet.ts): numbered raw rows. */

/** One row as read: a parsed value, or the reason it could not be parsed (a broken `.jsonl` line). */
export type RawRow =
  | { row: number; value: unknown }
  | { row: number; parseError: string }
  | { row: number; invalidUtf8: string };

/** The rows of one file. */
export interface RowSource {
  /** The file's column names, when the format declares them (parquet); rows may then hold only a subset. */
  columns?: readonly string[];
  /** Rows in file order, in batches; stopping early releases the file. */
  batches: AsyncIterable<RawRow[]>;
}
