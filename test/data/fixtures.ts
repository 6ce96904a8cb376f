/** Fixture files for the data tests, written in a per-test-file temporary folder. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ColumnSource, parquetWriteBuffer } from 'hyparquet-writer';

/** The schema element type of hyparquet-writer (which bundles its own hyparquet version). */
type WriteOptions = Parameters<typeof parquetWriteBuffer>[0];
type SchemaElement = NonNullable<WriteOptions['schema']>[number];

/** A temporary folder; `path(name)` names a file in it, `remove()` deletes it. */
export async function tempFolder(): Promise<{ path: (name: string) => string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'maxent-data-test-'));
  return { path: (name) => join(dir, name), remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Writes raw text lines (so tests control blank and broken lines exactly). */
export async function writeLines(path: string, lines: string[]): Promise<string> {
  await writeFile(path, `${lines.join('\n')}\n`);
  return path;
}

/** Writes rows as `.jsonl`, one JSON.stringify per line, independently of the code under test. */
export function writeRowsJsonl(path: string, rows: unknown[]): Promise<string> {
  return writeLines(
    path,
    rows.map((row) => JSON.stringify(row)),
  );
}

/** Writes a `.json` document. */
export async function writeJsonDoc(path: string, doc: unknown): Promise<string> {
  await writeFile(path, JSON.stringify(doc, null, 2));
  return path;
}

/** Writes a parquet file with hyparquet-writer. */
export async function writeParquet(
  path: string,
  columnData: ColumnSource[],
  options: Pick<WriteOptions, 'schema' | 'rowGroupSize' | 'codec' | 'compressors'> = {},
): Promise<string> {
  await writeFile(path, new Uint8Array(parquetWriteBuffer({ columnData, ...options })));
  return path;
}

/** Parquet schema for string columns plus `list<struct<content, role>>` message-list columns, as HF writes them. */
export function chatSchema(stringColumns: string[], messageColumns: string[]): SchemaElement[] {
  const schema: SchemaElement[] = [
    { name: 'root', num_children: stringColumns.length + messageColumns.length },
  ];
  for (const name of stringColumns) {
    schema.push({ name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' });
  }
  for (const name of messageColumns) {
    schema.push(
      { name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
      { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      { name: 'element', repetition_type: 'OPTIONAL', num_children: 2 },
      { name: 'content', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      { name: 'role', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
    );
  }
  return schema;
}

/** A whitespace token counter: "a b  c" is 3 tokens. */
export function countWords(text: string): number {
  return text.split(/\s+/).filter((word) => word !== '').length;
}
