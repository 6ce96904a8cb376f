/**
 * docs/api/ is exactly what TypeDoc generates from the doc comments of the public entry points
 * (scripts/gen-api-docs.ts), and it documents the subpaths the package exports.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { API_DOCS, ROOT, staleApiDocs } from '../../scripts/gen-api-docs.ts';

describe('docs/api', () => {
  it('has a page for every subpath of the exports map', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      exports: Record<string, unknown>;
    };
    const subpaths = Object.keys(pkg.exports).filter((k) => k !== '.' && k !== './package.json');
    expect(subpaths.length).toBeGreaterThanOrEqual(8);
    for (const s of subpaths) expect(existsSync(join(API_DOCS, `${s.slice(2)}.md`)), s).toBe(true);
    expect(readFileSync(join(API_DOCS, 'losses.md'), 'utf8')).toContain('### dpoLoss');
  });

  it('is not stale (npm run docs regenerates it)', async () => {
    expect(await staleApiDocs()).toEqual([]);
  });
});
