/**
 * Signals stop a trainer cleanly: SIGTERM/SIGINT finish the current step, write a checkpoint, mark
 * run.json `interrupted`, release the lock and exit with 128 + n, and the rerun resumes from that
 * step; a second signal exits at once (lock released); workers of `launch` exit when the launcher
 * is SIGKILLed instead of running on as orphans holding the lock.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../../src/runs/run-lock.ts';
import { checkpointSteps, loggedSteps, REPO } from './fixtures/child.ts';
import { type CliResult, cli, type LabSetup, labSetup } from './fixtures/cli-lab.ts';

const root = mkdtempSync(join(tmpdir(), 'reliability-signals-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let lab: LabSetup;
beforeAll(async () => {
  lab = await labSetup(root);
});

const until = async (what: () => boolean, ms = 60_000) => {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

function start(args: string[]): {
  child: ChildProcess;
  out: { stdout: string; stderr: string };
  done: Promise<CliResult>;
} {
  const child = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d) => {
    out.stdout += d;
  });
  child.stderr!.on('data', (d) => {
    out.stderr += d;
  });
  const done = new Promise<CliResult>((ok) =>
    child.on('close', (code, signal) => ok({ code, signal, stdout: out.stdout, stderr: out.stderr })),
  );
  return { child, out, done };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('a trainer receiving a signal', () => {
  for (const [signal, code] of [
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const) {
    it(`${signal}: checkpoint at the step reached, run.json interrupted, lock released, exit ${code}; the rerun resumes`, async () => {
      const out = join(root, signal);
      const config = lab.config(`${signal}.yaml`, lab.sft(out, { steps: 400, checkpointEvery: 1000 }));
      const run = start(['bin/maxent-rlhf.mjs', 'sft', '--config', config]);
      await until(() => existsSync(join(out, 'metrics.jsonl')) && loggedSteps(out).length >= 3);
      run.child.kill(signal);
      const r = await run.done;
      expect(r.signal).toBeNull();
      expect(r.code, r.stderr).toBe(code);
      const steps = loggedSteps(out);
      const last = steps[steps.length - 1]!;
      expect(last).toBeLessThan(400);
      expect(checkpointSteps(out)).toEqual([last]);
      const info = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
      expect(info.status).toBe('interrupted');
      expect(r.stderr).toContain(`maxent-rlhf: ${signal}: stopped after step ${last}`);
      expect(existsSync(join(out, LOCK_FILE))).toBe(false);
      // The rerun continues from that step (not from 0) and finishes.
      const again = await cli(['sft', '--config', config, '--set', `steps=${String(last + 2)}`]);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toContain(`(step ${last})`);
      expect(loggedSteps(out)).toEqual(Array.from({ length: last + 2 }, (_, i) => i + 1));
    });
  }

  it('a second signal exits at once, releasing the lock', async () => {
    const dir = join(root, 'twice');
    const run = start(['bin/run-ts.mjs', 'test/reliability/fixtures/stop-signal-child.ts', 'twice', dir]);
    await until(() => run.out.stdout.includes('ready'));
    run.child.kill('SIGINT');
    await until(() => run.out.stderr.includes('SIGINT: stopping after the current step'));
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('SIGINT again: exiting now');
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });
});

describe('launch', () => {
  it('SIGKILL on the launcher: its workers exit too and the lock is released', async () => {
    const dir = join(root, 'orphans');
    const run = start([
      'bin/maxent-rlhf.mjs',
      'launch',
      '--nproc',
      '2',
      '--',
      // Through a shell (its parent is the launcher, the worker's is not), as `-- npx …` would be.
      'sh',
      '-c',
      `"${process.execPath}" bin/run-ts.mjs test/reliability/fixtures/stop-signal-child.ts orphan "${dir}"; true`,
    ]);
    await until(() => (run.out.stdout.match(/ready \d+/g) ?? []).length === 2);
    const pids = [...run.out.stdout.matchAll(/ready (\d+)/g)].map((m) => Number(m[1]));
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
    run.child.kill('SIGKILL');
    await run.done;
    await until(() => pids.every((p) => !alive(p)), 10_000);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });
});
