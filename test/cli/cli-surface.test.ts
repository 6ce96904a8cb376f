/**
 * Issue 26, item 6: `--version`, the losses in `po --help`, `launch -- maxent-rlhf …` in a checkout
 * (no `maxent-rlhf` on PATH), and a dependency tree whose every package accepts the Node versions
 * we declare (npm warned EBADENGINE on Node 20: fastify's content-disposition@3 and cookie@2 want ≥ 22).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { REPO, runNode } from '../distributed/fixtures/ranks.ts';

// semver comes with npm's own tree (fastify, node-gyp); it has no types of its own here.
const semver = createRequire(import.meta.url)('semver') as {
  minVersion(range: string): { version: string } | null;
  satisfies(version: string, range: string): boolean;
};

const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
  version: string;
  engines: { node: string };
};

afterEach(() => vi.restoreAllMocks());

async function captured(argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  const code = await main(argv);
  vi.restoreAllMocks();
  return { code, out };
}

describe('the command line', () => {
  it('--version prints the package version', async () => {
    const { code, out } = await captured(['--version']);
    expect(code).toBe(0);
    expect(out.trim()).toBe(pkg.version);
  });

  it('po --help lists every preference loss, as the losses module names them', async () => {
    const { out } = await captured(['po', '--help']);
    // Hand-written list (the paper's and TRL's names), not read from the code under test.
    for (const loss of ['dpo', 'cdpo', 'robust', 'ipo', 'hinge', 'simpo', 'cpo', 'cpo-simpo', 'orpo'])
      expect(out).toMatch(new RegExp(`[ ,"(]${loss}[,)" ]`));
  });

  it('po --loss refuses a name that is not a loss, listing the choices', async () => {
    let err = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      err += String(chunk);
      return true;
    });
    const code = await main(['po', '--config', 'x.yaml', '--loss', 'dpoo']);
    expect(code).not.toBe(0);
    expect(err).toMatch(/dpoo/);
    expect(err).toMatch(/simpo/);
  });

  it('launch -- maxent-rlhf … runs this program in a checkout', async () => {
    const r = await runNode([
      'bin/maxent-rlhf.mjs',
      'launch',
      '--nproc',
      '2',
      '--',
      'maxent-rlhf',
      '--version',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`[rank 0] ${pkg.version}`);
    expect(r.stdout).toContain(`[rank 1] ${pkg.version}`);
  });
});

describe('package-lock.json', () => {
  it("every package's engines accept the oldest Node we declare", () => {
    const lock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string; engines?: { node?: string } }>;
    };
    const oldest = semver.minVersion(pkg.engines.node)!.version;
    const refused = Object.entries(lock.packages)
      .filter(([path, p]) => path !== '' && p.engines?.node && !semver.satisfies(oldest, p.engines.node))
      .map(([path, p]) => `${path}@${p.version} (node ${p.engines!.node})`);
    expect(refused).toEqual([]);
  });
});
