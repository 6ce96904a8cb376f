/**
 * `maxent-rlhf doctor` on this (working) machine, and on broken set-ups described by their
 * environment: a missing LIBTORCH, bad thread settings. Also the install-time build's refusal to
 * start without libtorch: a message with the fix, never a gyp trace.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { diagnose } from '../../src/cli/commands/doctor.ts';
import { REPO_ROOT } from '../../src/cli/config-docs.ts';
import { main } from '../../src/cli/main.ts';

const headerVersion = (() => {
  const h = readFileSync('/usr/include/torch/csrc/api/include/torch/version.h', 'utf8');
  const part = (n: string) => h.match(new RegExp(`TORCH_VERSION_${n} (\\d+)`))![1];
  return `${part('MAJOR')}.${part('MINOR')}.${part('PATCH')}`;
})();
const clean: NodeJS.ProcessEnv = { ...process.env };
for (const k of ['LIBTORCH', 'MAXENT_THREADS', 'OPENBLAS_NUM_THREADS']) delete clean[k];

let stdout: string[] = [];
beforeEach(() => {
  stdout = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void stdout.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation(() => {});
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('maxent-rlhf doctor', () => {
  it('passes every check here and names the libtorch it found', async () => {
    const findings = await diagnose(clean);
    expect(findings.filter((f) => f.level === 'fail')).toEqual([]);
    expect(new Set(findings.map((f) => f.check))).toEqual(
      new Set(['node', 'libtorch', 'addon', 'blas', 'threads', 'c10d', 'cuda']),
    );
    expect(findings.find((f) => f.check === 'libtorch')!.message).toContain(`libtorch ${headerVersion}`);
    expect(findings.find((f) => f.check === 'blas')!.message).toMatch(/OpenBLAS|MKL/);
    vi.stubEnv('LIBTORCH', '');
    vi.stubEnv('MAXENT_THREADS', '1');
    expect(await main(['doctor'])).toBe(0);
    expect(stdout.join('\n')).toMatch(/^ok {4}libtorch/m);
  });

  it('fails, with the fix, when LIBTORCH points nowhere', async () => {
    const findings = await diagnose({ ...clean, LIBTORCH: '/nonexistent/libtorch' });
    const torch = findings.find((f) => f.check === 'libtorch')!;
    expect(torch.level).toBe('fail');
    expect(torch.message).toContain('LIBTORCH=/nonexistent/libtorch: no such folder');
    expect(torch.message).toContain('apt-get install libtorch-dev libopenblas0');
    // The addon here was built against Debian's libtorch, not the one now selected.
    expect(
      findings.some(
        (f) => f.check === 'addon' && f.level === 'fail' && /built against Debian/.test(f.message),
      ),
    ).toBe(true);
    vi.stubEnv('LIBTORCH', '/nonexistent/libtorch');
    expect(await main(['doctor'])).toBe(1);
  });

  it('flags thread settings that are not positive integers or oversubscribe the cores', async () => {
    const bad = await diagnose({ ...clean, MAXENT_THREADS: 'four', OPENBLAS_NUM_THREADS: '0' });
    const threads = bad.filter((f) => f.check === 'threads');
    expect(threads.map((f) => f.level)).toEqual(['fail', 'fail']);
    expect(threads[0]!.message).toContain('MAXENT_THREADS=four');
    const over = await diagnose({ ...clean, MAXENT_THREADS: '2', OPENBLAS_NUM_THREADS: '2' });
    expect(over.find((f) => f.check === 'threads')).toMatchObject({ level: 'warn' });
  });
});

describe('the install-time addon build', () => {
  it('stops before node-gyp without libtorch, saying what to install', () => {
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts/build-addon.mjs')], {
      env: { ...clean, LIBTORCH: '/nonexistent/libtorch' },
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('cannot build the libtorch addon');
    expect(r.stderr).toContain('apt-get install libtorch-dev libopenblas0');
    expect(r.stderr).toContain('LIBTORCH=/path/to/libtorch');
    expect(r.stderr).not.toMatch(/gyp (ERR|info)/);
  });
});
