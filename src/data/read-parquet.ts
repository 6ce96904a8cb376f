/**
 * `.parquet` reader (hyparquet). Reads one row group at a time, and only the columns the loader may use:
 * the TL;DR sets carry large token-id columns that would otherwise dominate the load time.
 * Nested `list<struct<role, content>>` columns arrive as arrays of plain objects.
 */
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { AsyncBuffer, Compressors, FileMetaData, RowGroup } from 'hyparquet';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { DatasetError } from './bad-rows.ts';
import { checkColumnChunk } from './parquet-page-check.ts';
import type { RawRow, RowSource } from './row-source.ts';

/**
 * Decompressors beyond hyparquet's built-in SNAPPY: hyparquet's own companion, hyparquet-compressors
 * (ZSTD through fzstd, LZ4 and LZ4_RAW, GZIP, BROTLI, in pure JS), with GZIP and BROTLI through
 * node:zlib, which is native and faster.
 */
const NODE_DECOMPRESSORS: Compressors = {
  ...compressors,
  GZIP: (input) => new Uint8Array(gunzipSync(input)),
  BROTLI: (input) => new Uint8Array(brotliDecompressSync(input)),
};

/** Opens the file and reads its footer; `wanted` lists the columns the caller may use. */
export async function readParquet(path: string, wanted: readonly string[]): Promise<RowSource> {
  const { file, metadata } = await openParquet(path);
  const columns = parquetSchema(metadata).children.map((child) => child.element.name);
  const present = wanted.filter((name) => columns.includes(name));
  return { columns, batches: rowGroupBatches(path, file, metadata, present) };
}

async function openParquet(path: string): Promise<{ file: AsyncBuffer; metadata: FileMetaData }> {
  try {
    const file = await asyncBufferFromFile(path);
    return { file, metadata: await parquetMetadataAsync(file) };
  } catch (e) {
    throw new DatasetError(path, `cannot read parquet: ${(e as Error).message}`);
  }
}

async function* rowGroupBatches(
  path: string,
  file: AsyncBuffer,
  metadata: FileMetaData,
  columns: string[],
): AsyncGenerator<RawRow[]> {
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    await checkPageHeaders(path, file, group, columns, rowStart, rowEnd);
    const values = await readRowRange(path, file, metadata, columns, rowStart, rowEnd);
    yield values.map((value, i) => ({ row: rowStart + i + 1, value }));
    rowStart = rowEnd;
  }
}

/** hyparquet hangs on some corrupt page headers (see parquet-page-check.ts): check them first. */
async function checkPageHeaders(
  path: string,
  file: AsyncBuffer,
  group: RowGroup,
  columns: string[],
  rowStart: number,
  rowEnd: number,
): Promise<void> {
  try {
    for (const chunk of group.columns) {
      const name = chunk.meta_data?.path_in_schema[0];
      if (name !== undefined && columns.includes(name)) await checkColumnChunk(file, chunk, name);
    }
  } catch (e) {
    throw new DatasetError(
      path,
      `cannot read parquet rows ${rowStart + 1}-${rowEnd}: ${(e as Error).message}`,
    );
  }
}

async function readRowRange(
  path: string,
  file: AsyncBuffer,
  metadata: FileMetaData,
  columns: string[],
  rowStart: number,
  rowEnd: number,
): Promise<unknown[]> {
  // No wanted column exists: every row is empty, and each will be reported as missing its fields.
  if (columns.length === 0) return Array.from({ length: rowEnd - rowStart }, () => ({}));
  try {
    return await parquetReadObjects({
      file,
      metadata,
      columns,
      rowStart,
      rowEnd,
      compressors: NODE_DECOMPRESSORS,
    });
  } catch (e) {
    throw new DatasetError(
      path,
      `cannot read parquet rows ${rowStart + 1}-${rowEnd}: ${(e as Error).message}`,
    );
  }
}
