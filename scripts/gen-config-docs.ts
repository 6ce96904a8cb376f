/**
 * Writes docs/configs.md from the config schemas (src/cli/config-docs.ts):
 *   npx tsx scripts/gen-config-docs.ts          rewrite the file
 *   npx tsx scripts/gen-config-docs.ts --check  exit 1 when the committed file is stale
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configDocsMarkdown, REPO_ROOT } from '../src/cli/config-docs.ts';

const path = join(REPO_ROOT, 'docs', 'configs.md');
const text = configDocsMarkdown();
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
