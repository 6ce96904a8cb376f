/**
 * Fills the `maxent-rlhf plan` blocks of docs/gpu.md: each `<!-- plan: ARGS -->` … `<!-- /plan -->`
 * gets the command's output for ARGS (the paper presets' plan tables are generated, never typed).
 *   node bin/run-ts.mjs scripts/gen-gpu-docs.ts          rewrite the file
 *   node bin/run-ts.mjs scripts/gen-gpu-docs.ts --check  exit 1 when the committed file is stale
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { planBlocks } from '../src/cli/commands/plan-docs.ts';
import { REPO_ROOT } from '../src/cli/config-docs.ts';

const path = join(REPO_ROOT, 'docs', 'gpu.md');
const current = readFileSync(path, 'utf8');
const text = await planBlocks(current);
if (process.argv.includes('--check')) {
  if (current !== text) {
    console.error(`${path} is stale: run node bin/run-ts.mjs scripts/gen-gpu-docs.ts`);
    process.exit(1);
  }
} else {
  writeFileSync(path, text);
  console.log(`wrote ${path}`);
}
