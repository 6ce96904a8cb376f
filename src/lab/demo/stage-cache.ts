/**
 * Stage caching for the demo: a stage's output folder is reused when its run finished and was
 * produced from the same settings (a key over the stage's config and its inputs' keys).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../io/atomic-write.ts';

export function stageKey(...parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}

const KEY_FILE = 'stage-key';

/** True when `dir` holds a finished result for `key`; a folder for another key is cleared. */
export function isCached(dir: string, key: string, done: (dir: string) => boolean): boolean {
  const keyPath = join(dir, KEY_FILE);
  const stored = existsSync(keyPath) ? readFileSync(keyPath, 'utf8').trim() : null;
  if (stored === key && done(dir)) return true;
  if (stored !== null && stored !== key) rmSync(dir, { recursive: true, force: true });
  return false;
}

export function markStage(dir: string, key: string): void {
  writeFileAtomic(join(dir, KEY_FILE), `${key}\n`);
}
