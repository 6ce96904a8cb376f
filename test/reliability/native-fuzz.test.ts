/**
 * Seeded fuzz of the native error paths (issue 17): every binding of the addon is called with
 * random arguments in a child process (fixtures/native-fuzz-child.ts), three times as many for the
 * bindings that take a generator or an index. Each call must return or throw a JS Error whose
 * message starts with the op's name; the process must survive (a segfault is exit 139 / SIGSEGV,
 * reported with the call that caused it) and compute correctly afterwards.
 * MAXENT_FUZZ_SEED and MAXENT_FUZZ_CASES change the seed and the cases per binding.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { native } from '../../src/native/binding.ts';
import { FOCUSED, type FuzzReport, SIGNATURES } from './fixtures/native-signatures.ts';

const REPO = resolve(import.meta.dirname, '../..');
const SEED = Number(process.env.MAXENT_FUZZ_SEED ?? 17);
const CASES = Number(process.env.MAXENT_FUZZ_CASES ?? 30);

function runChild(): Promise<{ exit: number | string | null; stdout: string; lastCall: string }> {
  return new Promise((ok, fail) => {
    const child = spawn(
      process.execPath,
      ['bin/run-ts.mjs', 'test/reliability/fixtures/native-fuzz-child.ts', String(SEED), String(CASES)],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OMP_NUM_THREADS: '1' } },
    );
    let stdout = '';
    let lastCall = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      const calls = d.toString().match(/call \S+ #\d+/g);
      if (calls) lastCall = calls.at(-1)!;
    });
    child.on('error', fail);
    child.on('close', (code, signal) => ok({ exit: signal ?? code, stdout, lastCall }));
  });
}

describe('native bindings under random invalid arguments', () => {
  it('every call returns or throws a JS Error naming the op; the process survives', async () => {
    const { exit, stdout, lastCall } = await runChild();
    expect(exit, `the fuzz child died (${exit}) at ${lastCall}`).toBe(0);
    const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as FuzzReport;

    // Every exported function is fuzzed (a new binding must get a signature in the child).
    const exported = Object.keys(native).filter(
      (k) => typeof (native as unknown as Record<string, unknown>)[k] === 'function',
    );
    expect(report.exported.sort()).toEqual(exported.sort());
    expect(Object.keys(report.perBinding).sort()).toEqual(exported.sort());
    // The c10d bindings besides distBackends exist only in an addon built with a c10d backend
    // (src/native/binding.ts): not against a pip or zip CPU libtorch, which ships no Gloo headers.
    const c10d = native.distBackends().length > 0;
    const expected = Object.keys(SIGNATURES).filter(
      (k) => c10d || k === 'distBackends' || !k.startsWith('dist'),
    );
    expect(expected.sort()).toEqual(exported.sort());

    expect(report.violations, report.violations.slice(0, 5).join('\n')).toEqual([]);
    expect(report.engineAfter).toEqual([3, 7]);

    const rows = Object.entries(report.perBinding);
    const focused = rows.filter(([n]) => FOCUSED.has(n));
    const sum = (rs: typeof rows, k: 'returned' | 'threw') => rs.reduce((a, [, s]) => a + s[k], 0);
    const threw = sum(rows, 'threw');
    expect(report.calls).toBe(sum(rows, 'returned') + threw);
    expect(report.calls).toBe((rows.length + 2 * focused.length) * CASES);
    // The fuzz reaches the error paths of every focused binding.
    for (const [name, s] of focused) expect(s.threw, name).toBeGreaterThan(0);
    console.log(
      [
        `[native fuzz] seed ${SEED}: ${rows.length} bindings × ${CASES} cases ` +
          `(${focused.length} taking a generator, an index or a process group × ${3 * CASES}) = ${report.calls} calls`,
        `  returned ${report.calls - threw}, threw a JS Error naming the op ${threw}, crashes 0, other outcomes 0`,
        `  generator/index/process-group bindings: ${focused.map(([n, s]) => `${n} ${s.returned}/${s.threw}`).join(', ')}`,
      ].join('\n'),
    );
  });
});
