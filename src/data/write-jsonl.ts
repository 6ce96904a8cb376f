/**
 * Atomic `.jsonl` writer: rows go to a temporary file beside the target, which is flushed to disk and
 * then renamed over it, so a reader never sees a half-written file and a failed write leaves the old one.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

const ROWS_PER_WRITE = 1000;

/** Writes one JSON object per line (creating the parent folder); replaces `path` only once complete. */
export async function writeJsonl(path: string, rows: readonly object[]): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await writeLines(tmp, rows);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

async function writeLines(tmp: string, rows: readonly object[]): Promise<void> {
  const file = await open(tmp, 'wx');
  try {
    for (let start = 0; start < rows.length; start += ROWS_PER_WRITE) {
      const chunk = rows
        .slice(start, start + ROWS_PER_WRITE)
        .map((row, i) => `${jsonLine(row, start + i)}\n`);
      await file.write(chunk.join(''));
    }
    await file.sync();
  } finally {
    await file.close();
  }
}

function jsonLine(row: object, index: number): string {
  if (row === null || typeof row !== 'object') {
    throw new TypeError(`writeJsonl: row ${index + 1} is not an object`);
  }
  return JSON.stringify(row);
}
