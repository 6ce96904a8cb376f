/**
 * Which files a data spec names, as the Hub publishes datasets: one file, a list of files, a folder
 * of shards (every .jsonl/.json/.parquet file in it, in name order: `train-00000-of-00004.parquet`…),
 * or a glob (`data/train-*.parquet`, matched by tinyglobby). Each entry of a list may itself be a
 * folder or a glob. A spec that matches no data file is an error naming it.
 */
import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { globSync, isDynamicPattern } from 'tinyglobby';
import { DatasetError } from './bad-rows.ts';
import { DATA_EXTENSIONS } from './read-rows.ts';

/** A data spec: a path, folder or glob, or a list of them. */
export type DataSpec = string | readonly string[];

const isData = (name: string) => (DATA_EXTENSIONS as readonly string[]).includes(extname(name).toLowerCase());

/** The files of a spec, in order (each entry's files sorted by name), without duplicates. */
export function dataFiles(spec: DataSpec): string[] {
  const entries = typeof spec === 'string' ? [spec] : [...spec];
  if (entries.length === 0) throw new DatasetError('(data)', 'an empty list of data files');
  const files: string[] = [];
  for (const entry of entries) {
    let found: string[];
    if (isDynamicPattern(entry)) {
      found = globSync(entry, { absolute: false, onlyFiles: true, expandDirectories: false })
        .filter(isData)
        .sort();
      if (found.length === 0)
        throw new DatasetError(entry, `no ${DATA_EXTENSIONS.join('/')} file matches the pattern`);
    } else if (isFolder(entry)) {
      found = readdirSync(entry)
        .filter(isData)
        .sort()
        .map((name) => join(entry, name));
      if (found.length === 0)
        throw new DatasetError(entry, `the folder holds no ${DATA_EXTENSIONS.join('/')} file`);
    } else found = [entry];
    for (const f of found) if (!files.includes(f)) files.push(f);
  }
  return files;
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** How a spec reads in messages: the path, or the first path and how many more. */
export function describeSpec(spec: DataSpec): string {
  if (typeof spec === 'string') return spec;
  return spec.length === 1 ? spec[0]! : `${spec[0]} (+${spec.length - 1} more)`;
}
