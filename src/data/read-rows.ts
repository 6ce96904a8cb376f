/**
 * The format-independent view of a dataset file: numbered rows, in batches, not yet validated. The
 * reader is picked from the file extension: `.jsonl` (streamed line by line; blank lines are skipped
 * but still counted, so a row number is the line number an editor shows), `.json` (one document: an
 * array of rows, or an object holding them under `rows` or `data`; row numbers are 1-based array
 * positions) or `.parquet` (read-parquet.ts).
 */

import { isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
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
  let lineNumber = 0;
  let batch: RawRow[] = [];
  for await (const bytes of byteLines(path)) {
    lineNumber += 1;
    // Decoding replaces invalid bytes with U+FFFD silently: check them first, naming the row.
    if (!isUtf8(bytes)) {
      batch.push({
        row: lineNumber,
        invalidUtf8: `invalid UTF-8 at byte ${firstInvalidUtf8(bytes)} of the line`,
      });
      continue;
    }
    const line = bytes.toString('utf8');
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

/** The lines of a file as bytes, without their `\n` (or `\r\n`). */
async function* byteLines(path: string): AsyncGenerator<Buffer> {
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    const bytes = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    let start = 0;
    for (let end = bytes.indexOf(0x0a); end !== -1; end = bytes.indexOf(0x0a, start)) {
      yield withoutCarriageReturn(bytes.subarray(start, end));
      start = end + 1;
    }
    carry = Buffer.from(bytes.subarray(start));
  }
  if (carry.length) yield withoutCarriageReturn(carry);
}

function withoutCarriageReturn(line: Buffer): Buffer {
  return line.length && line[line.length - 1] === 0x0d ? line.subarray(0, -1) : line;
}

/** Offset of the first byte where `bytes` stops being valid UTF-8 (bytes is known to be invalid). */
function firstInvalidUtf8(bytes: Buffer): number {
  let lo = 0;
  let hi = bytes.length;
  // The longest valid prefix, by bisection (a prefix may end mid-character: allow 3 bytes of slack).
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (isUtf8(bytes.subarray(0, Math.max(0, mid - 3)))) lo = mid;
    else hi = mid - 1;
  }
  return Math.max(0, lo - 3);
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
  const bytes = await readFile(path);
  if (!isUtf8(bytes)) {
    const at = firstInvalidUtf8(bytes);
    const line = bytes.subarray(0, at).filter((b) => b === 0x0a).length + 1;
    throw new DatasetError(path, `invalid UTF-8 at byte ${at} (line ${line})`);
  }
  const rows = unwrapRows(path, parseDocument(path, bytes.toString('utf8')));
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
