/**
 * The final model of a run folder, `model/`, written like a checkpoint: built under a temporary
 * name, given a `manifest.json` (sha256 and size of every file), then renamed into place. A
 * finished run whose `model/` is missing, was never completed, or no longer matches its manifest
 * is detected by {@link modelDirProblem} (the training command then rebuilds it from the final
 * checkpoint).
 */
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fsyncDir, sha256File, writeFileAtomic } from '../io/atomic-write.ts';

export const MODEL_MANIFEST = 'manifest.json';

type Manifest = Record<string, { sha256: string; bytes: number }>;

/**
 * Saves the model through `save(dir)` into a temporary folder beside `modelDir`, writes its
 * manifest, and replaces `modelDir` with it. A `save` that writes nothing (a policy without a
 * snapshot format) leaves no `modelDir`.
 */
export async function saveModelDir(modelDir: string, save: (dir: string) => Promise<void>): Promise<void> {
  const parent = dirname(modelDir);
  const prefix = `${basename(modelDir)}.partial-`;
  for (const name of existsSync(parent) ? readdirSync(parent) : [])
    if (name.startsWith(prefix)) rmSync(join(parent, name), { recursive: true, force: true });
  const partial = join(parent, `${prefix}${process.pid}`);
  try {
    await save(partial);
    if (!existsSync(partial)) return;
    const manifest: Manifest = {};
    for (const file of filesUnder(partial))
      manifest[file] = { sha256: sha256File(join(partial, file)), bytes: statSync(join(partial, file)).size };
    writeFileAtomic(join(partial, MODEL_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    rmSync(modelDir, { recursive: true, force: true });
    renameSync(partial, modelDir);
    fsyncDir(parent);
  } catch (e) {
    rmSync(partial, { recursive: true, force: true });
    throw new Error(`cannot write the final model ${modelDir}: ${(e as Error).message}`);
  }
}

/** Null when `modelDir` matches its manifest, else what is wrong (naming the file). */
export function modelDirProblem(modelDir: string): string | null {
  if (!existsSync(modelDir)) return `${modelDir} is missing`;
  const manifestPath = join(modelDir, MODEL_MANIFEST);
  if (!existsSync(manifestPath)) return `${manifestPath} is missing: the model was never completed`;
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
  } catch {
    return `${manifestPath} is not valid JSON`;
  }
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest))
    return `${manifestPath} is not a JSON object`;
  for (const [file, entry] of Object.entries(manifest)) {
    const path = join(modelDir, file);
    if (!existsSync(path)) return `${path} is missing`;
    const bytes = statSync(path).size;
    if (bytes !== entry?.bytes) return `${path} has ${bytes} bytes, its manifest says ${entry?.bytes}`;
    if (sha256File(path) !== entry.sha256) return `${path} fails its sha256 check`;
  }
  return null;
}

function filesUnder(root: string, dir = root): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(root, join(dir, e.name)) : [relative(root, join(dir, e.name))],
  );
}
