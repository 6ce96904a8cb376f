/** Picks the reader from the file extension: `.jsonl`, `.json` or `.parquet` (case-insensitive). */
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { DatasetError } from './errors.ts';
import type { RowSource } from './raw-rows.ts';
import { readJson } from './read-json.ts';
import { readJsonl } from './read-jsonl.ts';
import { readParquet } from './read-parquet.ts';

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
  if (extension === '.jsonl') return readJsonl(path);
  if (extension === '.json') return readJson(path);
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
