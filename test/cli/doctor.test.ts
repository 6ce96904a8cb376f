/**
 * `maxent-rlhf doctor` on this (working) machine, and on broken set-ups described by their
 * environment: a missing LIBTORCH, bad thread settings. Also the install-time build's refusal to
 * start without libtorch: a message with the fix, never a gyp trace.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { diagnose } from '../../src/cli/commands/doctor.ts';
import { REPO_ROOT } from '../../src/cli/config-docs.ts';
import { main } from '../../src/cli/main.ts';
import { engineInfo } from '../../src/tensor/index.ts';

// The libtorch the addon here was built against (build-addon.mjs's stamp): Debian's, or LIBTORCH's.
const stamp = readFileSync(join(REPO_ROOT, 'build/.libtorch'), 'utf8').split('\n')[0]!.trim();
const builtWith = stamp === 'system' ? null : stamp;
const headerVersion = (() => {
  // libtorch 2.x keeps the numbers in torch/headeronly/version.h (its version.h includes it).
  const include = builtWith ? join(builtWith, 'include') : '/usr/include';
  const h = [
    join(include, 'torch/headeronly/version.h'),
    join(include, 'torch/csrc/api/include/torch/version.h'),
  ]
    .filter(existsSync)
    .map((f) => readFileSync(f, 'utf8'))
    .find((t) => t.includes('TORCH_VERSION_MAJOR'))!;
  const part = (n: string) => h.match(new RegExp(`TORCH_VERSION_${n} (\\d+)`))![1];
  return `${part('MAJOR')}.${part('MINOR')}.${part('PATCH')}`;
})();
const clean: NodeJS.ProcessEnv = { ...process.env };
for (const k of ['LIBTORCH', 'MAXENT_THREADS', 'OPENBLAS_NUM_THREADS']) delete clean[k];
if (builtWith) clean.LIBTORCH = builtWith;

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
    vi.stubEnv('LIBTORCH', builtWith ?? '');
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
    // The addon here was built against another libtorch (Debian's, or LIBTORCH's) than the one selected.
    expect(
      findings.some(
        (f) =>
          f.check === 'addon' &&
          f.level === 'fail' &&
          f.message.includes(builtWith ? `built against LIBTORCH=${builtWith}` : "built against Debian's"),
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
    // Oversubscription needs OpenBLAS's own pool; with MKL, BLAS runs on those 2 intra-op threads.
    if (engineInfo().openblasSymbol)
      expect(over.find((f) => f.check === 'threads')).toMatchObject({ level: 'warn' });
    else
      expect(over.find((f) => f.check === 'threads')).toMatchObject({
        level: 'ok',
        message: expect.stringContaining('MAXENT_THREADS=2'),
      });
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
