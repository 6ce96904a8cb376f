/**
 * One trainer per run folder: `out/run.lock` names the process that holds it (pid, host, boot id,
 * the pid's start time, its command). It is created atomically — written in full under a temporary
 * name, then hard-linked to `run.lock`, which fails when the name exists — so a reader never sees a
 * half-written lock, and two processes can never both create it.
 *
 * Why not a package such as proper-lockfile: its staleness is time-based (the holder refreshes the
 * lock's mtime from a timer), but a training step is one long synchronous native call that blocks
 * the event loop, so a busy trainer would look stale and lose its lock. Here a lock is stale only
 * when its holder provably no longer runs: same host and boot, and the pid is gone (or now belongs
 * to a process started at another time); or the machine has rebooted since. A lock from another
 * host is never broken automatically: the message says how.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { makeDirs } from '../io/make-dirs.ts';
import { processAlive } from '../util/process-alive.ts';

export const LOCK_FILE = 'run.lock';

/** What a lock file records about its holder. */
export interface LockHolder {
  pid: number;
  host: string;
  /** /proc/sys/kernel/random/boot_id: a lock from before a reboot is stale. */
  bootId: string | null;
  /** Start time of the pid (clock ticks since boot, /proc/PID/stat), to notice a reused pid. */
  pidStart: number | null;
  startedAt: string;
  command: string;
}

export class RunFolderLockedError extends Error {
  override name = 'RunFolderLockedError';
  constructor(
    readonly dir: string,
    readonly holder: LockHolder,
    local: boolean,
  ) {
    super(
      `${dir} is in use by another trainer: pid ${holder.pid} on host ${holder.host}, since ${holder.startedAt}` +
        ` (${holder.command}). Wait for it to finish, or stop it` +
        (local
          ? '.'
          : `; it runs on another host, so its liveness cannot be checked from here: if it is gone, delete ${join(dir, LOCK_FILE)}.`),
    );
  }
}

/** Locks held by this process, by folder, with how many holders share each (re-entrant). */
const held = new Map<string, { path: string; token: string; count: number }>();
let exitHookInstalled = false;

/** A held lock: release it when training ends (idempotent). */
export interface RunLock {
  readonly path: string;
  release(): void;
}

/**
 * Takes the lock of run folder `dir` (created if needed), or throws RunFolderLockedError naming
 * the live holder. A stale lock is replaced, saying so through `log`. Re-entrant within a process.
 */
export function acquireRunLock(dir: string, log: (msg: string) => void = (m) => console.error(m)): RunLock {
  // In a data-parallel run every rank runs the same command on the same folder and only rank 0
  // writes it: the other ranks must not contend for its lock.
  if (Number(process.env.WORLD_SIZE ?? 1) > 1 && Number(process.env.RANK ?? 0) > 0)
    return { path: join(dir, LOCK_FILE), release() {} };
  const key = resolve(dir);
  const mine = held.get(key);
  if (mine) {
    mine.count += 1;
    return handle(key, mine.path);
  }
  try {
    makeDirs(dir);
  } catch (e) {
    throw new Error(`cannot create run folder ${dir}: ${(e as Error).message}`);
  }
  const path = join(dir, LOCK_FILE);
  const token = randomBytes(8).toString('hex');
  const text = `${JSON.stringify({ ...describeSelf(), token })}\n`;
  for (let attempt = 0; ; attempt++) {
    if (tryCreate(path, text)) break;
    const existing = readLock(path);
    if (existing === undefined) continue; // removed meanwhile: try again
    const { holder } = existing;
    // Locks are complete when they appear (linked into place), so an unreadable one is debris.
    const stale = holder === null ? 'not a lock this program wrote' : staleReason(holder);
    if (stale === null || attempt >= 5) {
      if (holder === null) throw new Error(`${path} cannot be replaced; delete it if no trainer uses ${dir}`);
      throw new RunFolderLockedError(dir, holder, holder.host === hostname());
    }
    if (breakStale(path, existing.text)) log(`${path}: removed a stale lock (${stale})`);
  }
  held.set(key, { path, token, count: 1 });
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const h of held.values()) unlinkIfOurs(h.path, h.token);
      held.clear();
    });
  }
  return handle(key, path);
}

function handle(key: string, path: string): RunLock {
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      const h = held.get(key);
      if (!h || --h.count > 0) return;
      held.delete(key);
      unlinkIfOurs(h.path, h.token);
    },
  };
}

function describeSelf(): LockHolder {
  return {
    pid: process.pid,
    host: hostname(),
    bootId: bootId(),
    pidStart: pidStartTime(process.pid),
    startedAt: new Date().toISOString(),
    command: [process.argv0, ...process.argv.slice(1)].join(' ').slice(0, 300),
  };
}

/** Writes the lock under a temporary name, then links it into place (fails if it exists). */
function tryCreate(path: string, text: string): boolean {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fd = openSync(tmp, 'wx');
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new Error(`cannot create the run-folder lock ${path}: ${(e as Error).message}`);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** The lock's raw text and holder (null when it does not parse as one); undefined when it is gone. */
function readLock(path: string): { holder: LockHolder | null; text: string } | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read the run-folder lock ${path}: ${(e as Error).message}`);
  }
  try {
    const holder = JSON.parse(text) as LockHolder;
    // A pid ≤ 0 names no process (kill(-1, 0) would ask about every process and always succeed).
    const valid = Number.isInteger(holder?.pid) && holder.pid > 0 && typeof holder.host === 'string';
    return { holder: valid ? holder : null, text };
  } catch {
    return { holder: null, text };
  }
}

/** Why the holder provably no longer runs, or null when it may still run. */
export function staleReason(holder: LockHolder): string | null {
  if (holder.host !== hostname()) return null;
  const boot = bootId();
  if (holder.bootId && boot && holder.bootId !== boot) return `pid ${holder.pid} ran before the last reboot`;
  if (!processAlive(holder.pid)) return `pid ${holder.pid} is no longer running`;
  const start = pidStartTime(holder.pid);
  if (holder.pidStart !== null && start !== null && start !== holder.pidStart)
    return `pid ${holder.pid} now belongs to another process`;
  // This process, but not a lock it holds now (those are found first): one it could not remove
  // when its training ended (e.g. on a file system that had turned read-only).
  if (holder.pid === process.pid) return 'left behind by an earlier run of this process';
  return null;
}

/**
 * Moves a stale lock aside, checking it is still the one judged stale (another process may have
 * replaced it meanwhile: then it is put back). Returns whether the stale lock was removed.
 */
function breakStale(path: string, staleText: string): boolean {
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(path, aside);
  } catch {
    return false;
  }
  if (readFileSync(aside, 'utf8') === staleText) {
    rmSync(aside, { force: true });
    return true;
  }
  try {
    linkSync(aside, path);
  } catch {
    // Someone else created a lock meanwhile; theirs stands.
  }
  rmSync(aside, { force: true });
  return false;
}

function unlinkIfOurs(path: string, token: string): boolean {
  try {
    if ((JSON.parse(readFileSync(path, 'utf8')) as { token?: string }).token !== token) return false;
    rmSync(path, { force: true });
    return true;
  } catch {
    return false;
  }
}

function bootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return null;
  }
}

/** Field 22 of /proc/PID/stat (after the parenthesised command, which may hold spaces). */
function pidStartTime(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = Number(fields[19]);
    return Number.isFinite(start) ? start : null;
  } catch {
    return null;
  }
}
