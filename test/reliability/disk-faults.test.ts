/**
 * File-system faults around checkpoints: a run folder that cannot be created (a path under a file),
 * a checkpoint folder that cannot be created, a run folder turned read-only mid-run and a disk that
 * fills up mid-run (both on a small tmpfs; skipped with the reason printed when mounting is not
 * permitted). Each must fail with a clear error naming the checkpoint, leave the previous checkpoint
 * loadable, and — once the fault is gone — resume to the same final weights as an uninterrupted run.
 */
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statfsSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/io/atomic-write.ts';
import { CheckpointManager } from '../../src/runs/checkpoint.ts';
import { banditConfig, runBandit } from './fixtures/bandit.ts';
import { compareTensorFiles } from './fixtures/compare.ts';

const root = mkdtempSync(join(tmpdir(), 'reliability-disk-'));
const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts) unmount(m);
  rmSync(root, { recursive: true, force: true });
});

const STEPS = 9;
const config = banditConfig({ steps: STEPS, checkpointEvery: 3, keepCheckpoints: 2 });
const FINAL = `checkpoints/step-${String(STEPS).padStart(8, '0')}/tensors.safetensors`;
let straight = '';
beforeAll(async () => {
  straight = join(root, 'straight');
  await runBandit({ runDir: straight, config });
});

/** Resumes `run` to the end and checks it against the uninterrupted run, bit for bit. */
async function resumeAndCompare(run: string): Promise<string> {
  const log: string[] = [];
  await runBandit({ runDir: run, config, log: (m) => log.push(m) });
  for (const t of compareTensorFiles(join(straight, FINAL), join(run, FINAL)))
    expect(t.bitwise, t.name).toBe(true);
  return log.find((m) => m.startsWith('resumed')) ?? 'started over';
}

async function latestLoadable(run: string): Promise<number | null> {
  const ck = await new CheckpointManager(join(run, 'checkpoints'), 2, () => {}).loadLatest();
  if (!ck) return null;
  for (const t of ck.tensors.values()) t.dispose();
  return ck.step;
}

async function errorOf(f: () => unknown): Promise<unknown> {
  try {
    await f();
  } catch (e) {
    return e;
  }
  return undefined;
}

const partials = (run: string) =>
  readdirSync(join(run, 'checkpoints')).filter((n) => n.includes('.partial-'));

// ─── without mounting ───────────────────────────────────────────────────────────────────────────

describe('faults that need no special file system', () => {
  it('a run folder under a regular file (ENOTDIR) → a clear error naming the folder', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'not a folder');
    const runDir = join(file, 'run');
    await expect(runBandit({ runDir, config })).rejects.toThrow(
      new RegExp(`cannot create run folder ${runDir}: ENOTDIR`),
    );
  });

  it('the checkpoint folder cannot be created → error naming the checkpoint; the previous one is intact', async () => {
    const run = join(root, 'blocked');
    let error: unknown;
    try {
      await runBandit({
        runDir: run,
        config,
        // A file where the checkpoint's temporary folder must go.
        onStep: (step) => {
          if (step === 6)
            writeFileSync(join(run, 'checkpoints', `step-00000006.partial-${process.pid}`), 'x');
        },
      });
    } catch (e) {
      error = e;
    }
    const msg = (error as Error).message;
    expect(msg).toMatch(/^cannot write checkpoint .*\/checkpoints\/step-00000006: EEXIST/);
    expect(msg).toMatch(/The previous checkpoint step-00000003 is intact\.$/);
    expect(partials(run)).toEqual([]);
    expect(await latestLoadable(run)).toBe(3);
    const resumed = await resumeAndCompare(run);
    expect(resumed).toContain('(step 3)');
    console.log(`[disk] checkpoint folder blocked: ${msg.replaceAll(root, '<tmp>')}`);
  });
});

// ─── on a tmpfs ─────────────────────────────────────────────────────────────────────────────────

let mountProblem: string | null = null;
function mountTmpfs(sizeKiB: number): string | null {
  if (mountProblem) return null;
  const dir = mkdtempSync(join(root, 'tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKiB}k`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (e) {
    mountProblem = `mount -t tmpfs is not permitted here: ${String((e as { stderr?: Buffer }).stderr ?? e).trim()}`;
    return null;
  }
  mounts.push(dir);
  return dir;
}
function unmount(dir: string): void {
  try {
    execFileSync('umount', [dir], { stdio: 'pipe' });
  } catch {
    execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
  }
  mounts.splice(mounts.indexOf(dir), 1);
}

/** Fills the file system holding `dir` completely, then frees `pages` 4 KiB pages. */
function fillLeaving(dir: string, pages: number): string {
  const filler = join(dir, 'filler');
  const fd = openSync(filler, 'w');
  const chunk = Buffer.alloc(4096, 7);
  let size = 0;
  try {
    for (;;) size += writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    closeSync(fd);
  }
  truncateSync(filler, Math.max(0, size - pages * 4096));
  return filler;
}

describe('faults on a small tmpfs', () => {
  it('the run folder turns read-only mid-run → error naming the checkpoint; the previous one loads; resume after', async (ctx) => {
    const dir = mountTmpfs(4096);
    if (!dir) {
      console.log(`[disk] skipped read-only case: ${mountProblem}`);
      ctx.skip();
      return;
    }
    const run = join(dir, 'run');
    const log: string[] = [];
    let error: unknown;
    try {
      await runBandit({
        runDir: run,
        config,
        log: (m) => log.push(m),
        onStep: (step) => {
          if (step === 6) execFileSync('mount', ['-o', 'remount,ro', dir]);
        },
      });
    } catch (e) {
      error = e;
    }
    const msg = (error as Error).message;
    expect(msg).toMatch(
      /^cannot write checkpoint .*\/checkpoints\/step-00000006: EROFS: read-only file system/,
    );
    expect(msg).toMatch(/The previous checkpoint step-00000003 is intact\.$/);
    expect(log.join('\n')).toMatch(/could not mark the run as failed: .*run\.json.*EROFS/);
    expect(await latestLoadable(run)).toBe(3);
    execFileSync('mount', ['-o', 'remount,rw', dir]);
    expect(await resumeAndCompare(run)).toContain('(step 3)');
    console.log(`[disk] read-only run folder: ${msg.replaceAll(dir, '<tmpfs>')}`);
  });

  it('writeFileAtomic on a nearly full disk: the whole file or an error, never a silently short file', async (ctx) => {
    const dir = mountTmpfs(64);
    if (!dir) {
      console.log(`[disk] skipped short-write case: ${mountProblem}`);
      ctx.skip();
      return;
    }
    fillLeaving(dir, 1);
    const data = Buffer.alloc(3 * 4096 + 100, 'x');
    const path = join(dir, 'state.json');
    const e = await errorOf(() => writeFileAtomic(path, data));
    if (e === undefined) expect(readFileSync(path)).toEqual(data);
    else {
      expect((e as Error).message).toMatch(/^cannot write .*state\.json: ENOSPC/);
      expect(existsSync(path)).toBe(false);
      expect(readdirSync(dir)).toEqual(['filler']);
    }
    unmount(dir);
  });

  it('the disk fills up at a checkpoint (0–6 pages left) → clear error or success, never a broken checkpoint', async (ctx) => {
    const rows: string[] = [];
    for (let pages = 0; pages <= 6; pages++) {
      const dir = mountTmpfs(256);
      if (!dir) {
        console.log(`[disk] skipped full-disk case: ${mountProblem}`);
        ctx.skip();
        return;
      }
      const run = join(dir, 'run');
      let filler = '';
      let free = 0;
      let error: unknown;
      try {
        await runBandit({
          runDir: run,
          config,
          log: () => {},
          onStep: (step) => {
            if (step !== 6) return;
            filler = fillLeaving(dir, pages);
            free = statfsSync(dir).bavail;
          },
        });
      } catch (e) {
        error = e;
      }
      const msg = error === undefined ? 'completed' : (error as Error).message;
      if (error !== undefined) {
        // Whatever failed names what it was writing and the no-space condition.
        expect(msg).toMatch(
          /^cannot (write checkpoint .*\/step-\d{8}|append step \d+ to the metrics log .*): .*ENOSPC/,
        );
        if (msg.startsWith('cannot write checkpoint'))
          expect(msg).toMatch(/The previous checkpoint step-\d{8} is intact\.$/);
      }
      expect(partials(run)).toEqual([]);
      const loadable = await latestLoadable(run); // never throws: every complete checkpoint is whole
      expect(loadable).not.toBeNull();
      rmSync(filler);
      const resumed = await resumeAndCompare(run);
      rows.push(
        `  ${pages} pages left (${free} free blocks): ${msg.replaceAll(dir, '<tmpfs>')} → newest loadable checkpoint ${loadable}; ${resumed.replace(/.*\((step \d+)\).*/, 'resumed from $1')}, final weights bit-identical`,
      );
      unmount(dir);
    }
    console.log(['[disk] full disk at the step-6 checkpoint:', ...rows].join('\n'));
  });
});
