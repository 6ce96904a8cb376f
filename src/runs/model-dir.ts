/**
 * The final model of a run folder, `model/`, written like a checkpoint: built under a temporary
 * name, given a `manifest.json` (sha256 and size of every file), then renamed into place. A
 * finished run whose `model/` is missing, was never completed, or no longer matches its manifest
 * is detected by {@link modelDirProblem} (the training command then rebuilds it from the final
 * checkpoint).
 */
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fsyncDir, sha256File, writeFileAtomic } from '../io/atomic-write.ts';
import { MANIFEST_FILE, type Manifest, manifestProblem } from '../io/file-manifest.ts';

export const MODEL_MANIFEST = MANIFEST_FILE;

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
  const problem = manifestProblem(modelDir);
  return problem?.endsWith('the folder was never completed')
    ? `${join(modelDir, MODEL_MANIFEST)} is missing: the model was never completed`
    : problem;
}

function filesUnder(root: string, dir = root): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(root, join(dir, e.name)) : [relative(root, join(dir, e.name))],
  );
}
