/**
 * Writes docs/configs.md from the config schemas (src/cli/config-docs.ts) and docs/trl-keys.md
 * from the TRL translation table (src/config/trl.ts):
 *   npx tsx scripts/gen-config-docs.ts          rewrite the files
 *   npx tsx scripts/gen-config-docs.ts --check  exit 1 when a committed file is stale
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configDocsMarkdown, REPO_ROOT } from '../src/cli/config-docs.ts';
import { trlKeysMarkdown } from '../src/config/trl.ts';

const files: [string, string][] = [
  [join(REPO_ROOT, 'docs', 'configs.md'), configDocsMarkdown()],
  [join(REPO_ROOT, 'docs', 'trl-keys.md'), trlKeysMarkdown()],
];
for (const [path, text] of files) {
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(path, 'utf8');
    } catch {}
    if (current !== text) {
      console.error(`${path} is stale: run npx tsx scripts/gen-config-docs.ts`);
      process.exit(1);
    }
  } else {
    writeFileSync(path, text);
    console.log(`wrote ${path}`);
  }
}
