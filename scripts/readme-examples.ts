/**
 * The README's code examples, so that they run as tests: every fenced block marked ```ts.
 *   node bin/run-ts.mjs scripts/readme-examples.ts OUT_DIR   writes OUT_DIR/readme-example-N.ts
 * (used by test/package/run.sh against the installed tarball; test/readme.test.ts runs them on src/).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ReadmeExample {
  /** 1-based line of the opening fence. */
  line: number;
  code: string;
}

export const README = fileURLToPath(new URL('../README.md', import.meta.url));

export function readmeExamples(markdown = readFileSync(README, 'utf8')): ReadmeExample[] {
  const out: ReadmeExample[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== '```ts') continue;
    const start = i;
    const body: string[] = [];
    while (++i < lines.length && lines[i]!.trim() !== '```') body.push(lines[i]!);
    out.push({ line: start + 1, code: `${body.join('\n')}\n` });
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: readme-examples.ts OUT_DIR');
  mkdirSync(dir, { recursive: true });
  for (const [i, ex] of readmeExamples().entries()) {
    writeFileSync(join(dir, `readme-example-${i + 1}.ts`), `// README.md line ${ex.line}\n${ex.code}`);
    console.log(join(dir, `readme-example-${i + 1}.ts`));
  }
}
