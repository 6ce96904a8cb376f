/**
 * A folder's `manifest.json`: the sha256 and size of every file in it, written last when the folder
 * is built (run folders' model/, see runs/model-dir.ts). {@link manifestProblem} says whether the
 * folder still matches it; the model loader checks it before reading weights.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { sha256File } from './atomic-write.ts';

export const MANIFEST_FILE = 'manifest.json';

export type Manifest = Record<string, { sha256: string; bytes: number }>;

/**
 * `name` joined to `dir` when it names a file inside `dir` (no absolute path, no `..` leading
 * out); null otherwise. File names read from a folder's own metadata (a weights index, a manifest)
 * go through here, so that a crafted `../../etc/passwd` is never opened.
 */
export function pathWithin(dir: string, name: string): string | null {
  if (typeof name !== 'string' || name === '' || isAbsolute(name) || name.includes('\0')) return null;
  const inside = relative(resolve(dir), resolve(dir, name));
  if (inside === '' || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) return null;
  return join(dir, name);
}

/** Null when `dir` matches its manifest, else what is wrong (naming the file). */
export function manifestProblem(dir: string): string | null {
  const manifestPath = join(dir, MANIFEST_FILE);
  if (!existsSync(manifestPath)) return `${manifestPath} is missing: the folder was never completed`;
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
  } catch {
    return `${manifestPath} is not valid JSON`;
  }
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest))
    return `${manifestPath} is not a JSON object`;
  for (const [file, entry] of Object.entries(manifest)) {
    const path = pathWithin(dir, file);
    if (path === null) return `${manifestPath} names "${file}", which is not a file inside ${dir}`;
    if (!existsSync(path)) return `${path} is missing`;
    const bytes = statSync(path).size;
    if (bytes !== entry?.bytes) return `${path} has ${bytes} bytes, its manifest says ${entry?.bytes}`;
    if (sha256File(path) !== entry.sha256) return `${path} fails its sha256 check`;
  }
  return null;
}
