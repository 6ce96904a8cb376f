/**
 * Issue 17, item 3: one trainer per run folder. Two `sft` processes on one `out`: the second exits
 * 1 naming the first's pid and host (also with --fresh, which must not delete the first's files),
 * and the first finishes with every step logged once. A lock left by a SIGKILLed trainer does not
 * block the rerun; nor do hand-written stale locks (dead pid, another boot, a reused pid), while a
 * lock from another host is refused with the way out.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireRunLock, LOCK_FILE, type LockHolder, RunFolderLockedError } from '../../src/runs/run-lock.ts';
import { checkpointSteps, loggedSteps, REPO } from './fixtures/child.ts';
import { cli, type LabSetup, labSetup } from './fixtures/cli-lab.ts';

const root = mkdtempSync(join(tmpdir(), 'reliability-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let lab: LabSetup;
beforeAll(async () => {
  lab = await labSetup(root);
});

const waitFor = async (ready: () => boolean, what: string) => {
  for (let i = 0; i < 6000 && !ready(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!ready()) throw new Error(`timed out waiting for ${what}`);
};

/** Starts `sft` on `config` in a child; resolves with its outcome. */
function startSft(config: string, extra: string[] = []) {
  const child = spawn(process.execPath, ['bin/maxent-rlhf.mjs', 'sft', '--config', config, ...extra], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  child.stdout.resume();
  const done = new Promise<{ code: number | null; signal: string | null; stderr: string }>((ok) =>
    child.on('close', (code, signal) => ok({ code, signal, stderr })),
  );
  return { child, done };
}

describe('two trainers on one run folder', () => {
  it('the second refuses, naming the holder (pid, host); the first finishes alone', async () => {
    const out = join(root, 'shared');
    const config = lab.config('shared.yaml', lab.sft(out, { steps: 40, checkpointEvery: 5 }));
    const first = startSft(config);
    await waitFor(() => existsSync(join(out, 'metrics.jsonl')), "the first trainer's first step");
    // Paused (still alive, still holding the lock) while the second tries, so it cannot finish first.
    first.child.kill('SIGSTOP');
    try {
      const holder = JSON.parse(readFileSync(join(out, LOCK_FILE), 'utf8')) as LockHolder;
      expect(holder.pid).toBe(first.child.pid);

      for (const extra of [[], ['--fresh']]) {
        const second = await cli(['sft', '--config', config, ...extra]);
        expect(second.code, second.stderr).toBe(1);
        expect(second.stderr).toContain(
          `${out} is in use by another trainer: pid ${first.child.pid} on host ${hostname()}`,
        );
        expect(second.stdout).not.toContain('sft step');
        // --fresh of the refused trainer removed nothing of the running one.
        expect(existsSync(join(out, 'run.json'))).toBe(true);
        expect(existsSync(join(out, 'metrics.jsonl'))).toBe(true);
      }
    } finally {
      first.child.kill('SIGCONT');
    }

    const r = await first.done;
    expect(r.code, r.stderr).toBe(0);
    expect(loggedSteps(out)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).status).toBe('done');
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
  });
});

describe('stale locks', () => {
  it('a trainer killed with SIGKILL leaves a lock that does not block the rerun', async () => {
    const out = join(root, 'killed');
    const config = lab.config('killed.yaml', lab.sft(out, { steps: 30, checkpointEvery: 2 }));
    const run = startSft(config);
    await waitFor(() => checkpointSteps(out).length > 0, 'a checkpoint');
    run.child.kill('SIGKILL');
    expect((await run.done).signal).toBe('SIGKILL');
    const left = JSON.parse(readFileSync(join(out, LOCK_FILE), 'utf8')) as LockHolder;
    expect(left.pid).toBe(run.child.pid);

    const rerun = await cli(['sft', '--config', config]);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toContain(
      `${join(out, LOCK_FILE)}: removed a stale lock (pid ${run.child.pid} is no longer running)`,
    );
    expect(rerun.stderr).toMatch(/resumed .* \(step \d+\)/);
    expect(loggedSteps(out)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
  });

  const self = (): LockHolder => JSON.parse(readFileSync(join(lockedByMe(), LOCK_FILE), 'utf8'));
  let mine: string | null = null;
  /** A folder locked by this process, to read what a lock of this host and boot looks like. */
  function lockedByMe(): string {
    if (mine) return mine;
    mine = join(root, 'mine');
    acquireRunLock(mine);
    return mine;
  }

  const deadPid = (): number => {
    const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    return Number(r.stdout);
  };

  for (const [label, holder, reason] of [
    [
      'a pid that is no longer running',
      () => ({ ...self(), pid: deadPid() }),
      /pid \d+ is no longer running/,
    ],
    [
      'a lock from before the last reboot',
      () => ({ ...self(), pid: process.ppid, bootId: 'another-boot' }),
      /ran before the last reboot/,
    ],
    [
      'a pid now used by another process (other start time)',
      () => ({ ...self(), pid: process.ppid, pidStart: 1 }),
      /now belongs to another process/,
    ],
    ['an unreadable lock file', () => '{"pid": 12', /not a lock this program wrote/],
    // kill(-1, 0) succeeds (it asks about every process): such a lock used to count as alive forever.
    ['a lock with pid -1', () => ({ ...self(), pid: -1 }), /not a lock this program wrote/],
    ['a lock with pid 0', () => ({ ...self(), pid: 0 }), /not a lock this program wrote/],
  ] as const) {
    it(`${label} is replaced, saying so`, () => {
      const dir = join(root, `stale-${label.replace(/\W+/g, '-')}`);
      mkdirSync(dir, { recursive: true });
      const content = holder();
      writeFileSync(join(dir, LOCK_FILE), typeof content === 'string' ? content : JSON.stringify(content));
      const log: string[] = [];
      const lock = acquireRunLock(dir, (m) => log.push(m));
      expect(log).toHaveLength(1);
      expect(log[0]).toMatch(reason);
      expect((JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as LockHolder).pid).toBe(process.pid);
      lock.release();
      expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    });
  }

  it('a live holder on this host, and any holder on another host, are refused', () => {
    for (const [host, pid, hint] of [
      [hostname(), process.ppid, /Wait for it to finish, or stop it\.$/],
      ['gpu-node-7', 4242, /another host.*delete .*run\.lock/],
    ] as const) {
      const dir = join(root, `held-${host}`);
      mkdirSync(dir, { recursive: true });
      // No start time recorded: a live pid is then taken as the holder.
      const holder = { ...self(), host, pid, pidStart: null };
      writeFileSync(join(dir, LOCK_FILE), JSON.stringify(holder));
      let error: unknown;
      try {
        acquireRunLock(dir, () => {});
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(RunFolderLockedError);
      expect((error as Error).message).toContain(`is in use by another trainer: pid ${pid} on host ${host}`);
      expect((error as Error).message).toMatch(hint);
      expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid).toBe(pid);
    }
  });

  it('within one process the lock is re-entrant and released by its last holder', () => {
    const dir = join(root, 'reentrant');
    const a = acquireRunLock(dir);
    const b = acquireRunLock(dir);
    a.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
    b.release();
    b.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });
});
