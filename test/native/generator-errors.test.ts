/**
 * Issue 17, item 1: a libtorch op that fails with a random generator among its arguments used to
 * segfault (the error path read the generator as a tensor). Each case runs in a child process so a
 * crash is seen as a signal or exit code 139 instead of killing the test runner; each must end
 * in a JS Error naming the op and describing its inputs, and the process must keep working.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '../..');

interface Outcome {
  name: string;
  message: string | null;
  op: string | null;
  after: number[];
}

/** Runs the named cases in one child; a crash fails naming the case that was running. */
function runCases(...names: string[]): Outcome[] {
  const r = spawnSync(process.execPath, ['bin/run-ts.mjs', 'test/native/fixtures/op-error.ts', ...names], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 60_000,
  });
  const exit = r.signal ?? r.status;
  const running = r.stderr.match(/start (\S+)\n(?![\s\S]*start )/)?.[1];
  expect(exit, `exited with ${exit} during ${running} (a native crash?)\n${r.stderr}`).toBe(0);
  const outcomes = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Outcome);
  expect(outcomes.map((o) => o.name)).toEqual(names);
  for (const o of outcomes) expect(o.after, `engine after ${o.name}`).toEqual([4, 6]);
  return outcomes;
}
const runCase = (name: string) => runCases(name)[0]!;

describe('failing ops with a generator argument: a JS Error, not a segfault', () => {
  it('multinomial of a NaN probability names the op, the probabilities and the generator', () => {
    const o = runCase('multinomial-nan');
    expect(o.op).toBe('multinomial');
    expect(o.message).toMatch(/^multinomial: probability tensor contains either `inf`, `nan`/);
    expect(o.message).toContain('#0=[1,2] float32');
    expect(o.message).toContain('#3=generator(cpu)');
  });

  it('randn of a negative size names the op, the shape and the generator', () => {
    const o = runCase('randn-negative');
    expect(o.op).toBe('randn');
    expect(o.message).toMatch(/^randn: .*negative/);
    expect(o.message).toContain('#0=[-1, 2]');
    expect(o.message).toContain('#1=generator(cpu)');
  });

  it('the raw bindings: randn and dropout failing with a generator argument', () => {
    const [r, d] = runCases('native-randn-negative', 'native-dropout-bad-p');
    expect(r!.message).toMatch(/^randn: .*negative.*#1=generator\(cpu\)/);
    expect(d!.op).toBe('dropout');
    expect(d!.message).toMatch(/^dropout: .*\[0, 1\].*#0=\[2\] int64, #1=2, #2=generator\(cpu\)/);
  });

  it('a generator where a tensor is expected, and the reverse, are refused by kind', () => {
    const [asTensor, asGenerator, disposeGen] = runCases(
      'generator-as-tensor',
      'tensor-as-generator',
      'generator-dispose',
    );
    expect(asTensor!.message).toMatch(/^exp: argument 0 is not a tensor handle \(got a generator handle\)/);
    expect(asGenerator!.message).toMatch(
      /^randn: argument 1 is not a generator handle \(got a tensor handle\)/,
    );
    expect(disposeGen!.message).toMatch(/^dispose: argument 0 is not a tensor handle/);
  });
});
