/**
 * Checkpoints that survive crashes: each is a folder `step-NNNNNNNN/` holding
 *   tensors.safetensors   model parameters and optimizer moments, by name
 *   state.json            step counters, RNG states, data cursor, trainer extras
 *   manifest.json         sha256 and size of both files (written last)
 * built under a temporary name and renamed into place, so a folder with a valid manifest is whole.
 * Loading verifies the manifest and falls back to the previous checkpoint, saying so.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fsyncDir, sha256File, writeFileAtomic } from '../io/atomic-write.ts';
import { makeDirs } from '../io/make-dirs.ts';
import { loadTensors, saveTensors } from '../io/tensor-io.ts';
import type { Tensor } from '../tensor/index.ts';

export interface CheckpointState {
  step: number;
  [key: string]: unknown;
}

export interface LoadedCheckpoint {
  path: string;
  step: number;
  tensors: Map<string, Tensor>;
  state: CheckpointState;
}

const FILES = ['tensors.safetensors', 'state.json'] as const;
const stepName = (step: number) => `step-${String(step).padStart(8, '0')}`;

export class CheckpointManager {
  constructor(
    readonly dir: string,
    readonly keepLast = 2,
    private readonly log: (msg: string) => void = (m) => console.error(m),
  ) {}

  /** Writes checkpoint `state.step`; on failure the partial folder is removed and older checkpoints stay. */
  async save(tensors: Map<string, Tensor>, state: CheckpointState): Promise<string> {
    const final = join(this.dir, stepName(state.step));
    const partial = `${final}.partial-${process.pid}`;
    try {
      makeDirs(this.dir);
      // Not recursive: Node reports a recursive mkdir on a read-only file system as ENOENT.
      mkdirSync(partial);
      await saveTensors(join(partial, 'tensors.safetensors'), tensors);
      writeFileAtomic(join(partial, 'state.json'), JSON.stringify(state));
      const manifest = Object.fromEntries(
        FILES.map((f) => [
          f,
          { sha256: sha256File(join(partial, f)), bytes: statSync(join(partial, f)).size },
        ]),
      );
      writeFileAtomic(join(partial, 'manifest.json'), JSON.stringify(manifest, null, 2));
      rmSync(final, { recursive: true, force: true });
      renameSync(partial, final);
      fsyncDir(this.dir);
    } catch (e) {
      rmSync(partial, { recursive: true, force: true });
      const previous = this.latestValidName();
      throw new Error(
        `cannot write checkpoint ${final}: ${(e as Error).message}. ` +
          (previous ? `The previous checkpoint ${previous} is intact.` : 'No earlier checkpoint exists.'),
      );
    }
    this.prune();
    return final;
  }

  /** The newest checkpoint whose manifest verifies, or null; corrupt ones are reported and skipped. */
  async loadLatest(): Promise<LoadedCheckpoint | null> {
    const names = this.candidates();
    for (const [i, name] of names.entries()) {
      const path = join(this.dir, name);
      const problem = verify(path);
      if (problem) {
        const next =
          i + 1 < names.length ? 'falling back to the previous one' : 'no earlier checkpoint exists';
        this.log(`checkpoint ${path} is unusable (${problem}); ${next}`);
        continue;
      }
      const state = JSON.parse(readFileSync(join(path, 'state.json'), 'utf8')) as CheckpointState;
      const { tensors } = await loadTensors(join(path, 'tensors.safetensors'));
      return { path, step: state.step, tensors, state };
    }
    return null;
  }

  /** Name of the newest checkpoint with a valid manifest (no tensor loading). */
  latestValidName(): string | null {
    return this.candidates().find((n) => verify(join(this.dir, n)) === null) ?? null;
  }

  /** Number of checkpoint folders present, usable or not. */
  count(): number {
    return this.candidates().length;
  }

  private candidates(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((n) => /^step-\d{8}$/.test(n))
      .sort()
      .reverse();
  }

  /**
   * Keeps the newest `keepLast` valid checkpoints. A checkpoint is renamed out of the `step-N`
   * namespace before it is deleted, so a kill halfway through a deletion leaves a `.deleting-`
   * folder (removed here next time), never a half-deleted `step-N`. Invalid `step-N` folders older
   * than the newest valid one (left by earlier versions, which deleted in place) go too.
   */
  private prune(): void {
    const names = this.candidates();
    const valid = names.filter((n) => verify(join(this.dir, n)) === null);
    const newestValid = valid[0];
    const debris =
      newestValid === undefined ? [] : names.filter((n) => n < newestValid && !valid.includes(n));
    for (const old of [...valid.slice(this.keepLast), ...debris]) {
      const aside = join(this.dir, `${old}.deleting-${process.pid}`);
      try {
        renameSync(join(this.dir, old), aside);
      } catch {
        continue;
      }
      rmSync(aside, { recursive: true, force: true });
    }
    if (existsSync(this.dir)) {
      for (const n of readdirSync(this.dir))
        if (n.includes('.partial-') || n.includes('.deleting-'))
          rmSync(join(this.dir, n), { recursive: true, force: true });
    }
  }
}

/** Null when the checkpoint folder matches its manifest, else the reason (naming the file). */
function verify(path: string): string | null {
  try {
    return verifyFiles(path);
  } catch (e) {
    return `cannot be read: ${(e as Error).message}`;
  }
}

function verifyFiles(path: string): string | null {
  const manifestPath = join(path, 'manifest.json');
  if (!existsSync(manifestPath)) return 'manifest.json is missing: the checkpoint was never completed';
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch {
    return 'manifest.json is not valid JSON';
  }
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest))
    return 'manifest.json is not a JSON object';
  for (const f of FILES) {
    const entry = (manifest as Record<string, { sha256?: unknown; bytes?: unknown } | undefined>)[f];
    const file = join(path, f);
    if (!entry || typeof entry !== 'object') return `manifest.json lacks an entry for ${f}`;
    if (!existsSync(file)) return `${f} is missing`;
    if (statSync(file).size !== entry.bytes)
      return `${f} has ${statSync(file).size} bytes, manifest says ${entry.bytes}`;
    if (sha256File(file) !== entry.sha256) return `${f} fails its sha256 check`;
  }
  return null;
}
