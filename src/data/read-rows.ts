/**
 * The format-independent view of a dataset file: numbered rows, in batches, not yet validated. The
 * reader is picked from the file extension: `.jsonl` (streamed line by line; blank lines are skipped
 * but still counted, so a row number is the line number an editor shows), `.json` (one document: an
 * array of rows, or an object holding them under `rows` or `data`; row numbers are 1-based array
 * positions) or `.parquet` (read-parquet.ts).
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';
import { DatasetError } from './bad-rows.ts';
import { readParquet } from './read-parquet.ts';
import type { RawRow, RowSource } from './row-source.ts';

/** The formats the loaders accept, by extension. */
export const DATA_EXTENSIONS = ['.jsonl', '.json', '.parquet'] as const;

/**
 * Opens a dataset file. `columns` lists the fields the caller may use; readers with a columnar layout
 * read only those. Throws DatasetError for an unknown extension or a file that cannot be opened.
 */
export async function openRows(path: string, columns: readonly string[]): Promise<RowSource> {
  const extension = extname(path).toLowerCase();
  if (!(DATA_EXTENSIONS as readonly string[]).includes(extension)) {
    const got = extension ? `extension "${extension}"` : 'no extension';
    throw new DatasetError(path, `unknown data format (${got}); expected ${DATA_EXTENSIONS.join(', ')}`);
  }
  await requireReadable(path);
  if (extension === '.jsonl') return { batches: jsonlBatches(path) };
  if (extension === '.json') return { batches: jsonBatches(path) };
  return readParquet(path, columns);
}

async function requireReadable(path: string): Promise<void> {
  let isFile: boolean;
  try {
    isFile = (await stat(path)).isFile();
  } catch (e) {
    throw new DatasetError(path, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (!isFile) throw new DatasetError(path, 'cannot read: not a regular file');
}

// ---- .jsonl ----

const JSONL_BATCH_ROWS = 1000;

async function* jsonlBatches(path: string): AsyncGenerator<RawRow[]> {
  const lines = createInterface({
    input: createReadStream(path, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let lineNumber = 0;
  let batch: RawRow[] = [];
  for await (const line of lines) {
    lineNumber += 1;
    const text = lineNumber === 1 ? stripByteOrderMark(line) : line;
    if (text.trim() === '') continue;
    batch.push(parseLine(text, lineNumber));
    if (batch.length >= JSONL_BATCH_ROWS) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

function parseLine(text: string, row: number): RawRow {
  try {
    return { row, value: JSON.parse(text) };
  } catch (e) {
    return { row, parseError: (e as Error).message };
  }
}

/** Editors on Windows may start a UTF-8 file with U+FEFF, which JSON.parse rejects. */
function stripByteOrderMark(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

// ---- .json ----

const ROW_ARRAY_KEYS = ['rows', 'data'] as const;

async function* jsonBatches(path: string): AsyncGenerator<RawRow[]> {
  const rows = unwrapRows(path, parseDocument(path, await readFile(path, 'utf8')));
  yield rows.map((value, i) => ({ row: i + 1, value }));
}

function parseDocument(path: string, text: string): unknown {
  try {
    return JSON.parse(stripByteOrderMark(text));
  } catch (e) {
    throw new DatasetError(path, `invalid JSON: ${(e as Error).message}`);
  }
}

function unwrapRows(path: string, doc: unknown): unknown[] {
  if (Array.isArray(doc)) return doc;
  if (doc !== null && typeof doc === 'object') {
    for (const key of ROW_ARRAY_KEYS) {
      const rows = (doc as Record<string, unknown>)[key];
      if (Array.isArray(rows)) return rows;
    }
  }
  throw new DatasetError(
    path,
    `expected an array of rows or an object with a "rows" or "data" array, got ${describeDocument(doc)}`,
  );
}

function describeDocument(doc: unknown): string {
  if (doc === null || typeof doc !== 'object') return doc === null ? 'null' : typeof doc;
  const keys = Object.keys(doc);
  return keys.length ? `an object with keys ${keys.slice(0, 8).join(', ')}` : 'an empty object';
}
