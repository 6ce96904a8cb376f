/**
 * `.json` reader: the whole file is one JSON document, either an array of rows or an object holding the
 * rows under `rows` or `data` (as some exporters write). Row numbers are 1-based array positions.
 */
import { readFile } from 'node:fs/promises';
import { DatasetError } from './errors.ts';
import type { RawRow, RowSource } from './raw-rows.ts';
import { stripByteOrderMark } from './read-jsonl.ts';

const ROW_ARRAY_KEYS = ['rows', 'data'] as const;

export function readJson(path: string): RowSource {
  return { batches: jsonBatches(path) };
}

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
