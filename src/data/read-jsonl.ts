/**
 * `.jsonl` reader: one JSON value per line, streamed line by line so large files need not fit in one
 * string. Blank lines are skipped but still counted, so a row number is the line number an editor shows.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { RawRow, RowSource } from './raw-rows.ts';

const BATCH_ROWS = 1000;

export function readJsonl(path: string): RowSource {
  return { batches: jsonlBatches(path) };
}

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
    if (batch.length >= BATCH_ROWS) {
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
export function stripByteOrderMark(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
