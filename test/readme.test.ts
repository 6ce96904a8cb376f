/**
 * The README's code examples (every ```ts block) run, importing `maxent-rlhf` by name (resolved to
 * the sources here; test/package/run.sh runs them again against the installed tarball).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readmeExamples } from '../scripts/readme-examples.ts';

const examples = readmeExamples();
const dir = mkdtempSync(join(import.meta.dirname, '.readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('README examples', () => {
  it('has at least the engine and the public-API examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(2);
    for (const ex of examples) expect(ex.code).toMatch(/from 'maxent-rlhf(\/[a-z]+)?'/);
  });

  it.each(examples.map((ex) => [ex.line, ex] as const))(
    'the example at README.md:%i runs',
    async (line, ex) => {
      const file = join(dir, `example-${line}.ts`);
      writeFileSync(file, ex.code);
      await import(file);
    },
  );
});
