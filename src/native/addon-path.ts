/**
 * Where the addon lives (build/Release/ under the package root, for a checkout and an installed
 * package alike) and what to run when it is missing. Loads nothing, so `maxent-rlhf doctor` can
 * inspect a broken set-up.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder holding package.json above this module (src/native/ or dist/native/). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('maxent-rlhf: cannot find the package root above src/native');
    dir = up;
  }
  return dir;
}

export function addonPath(): string {
  return join(packageRoot(), 'build/Release/maxent_rlhf_torch.node');
}

/** A checkout (has the test suite) rather than an installed package. */
export function isCheckout(): boolean {
  return existsSync(join(packageRoot(), 'test'));
}

/** The command that (re)builds the addon here. */
export function rebuildHint(): string {
  return isCheckout()
    ? '`npm run setup`'
    : '`npm rebuild maxent-rlhf` (where npm ≥ 11 skipped the install script: ' +
        '`npm install-scripts approve maxent-rlhf` first)';
}
