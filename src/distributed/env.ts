/**
 * The torchrun environment convention, read strictly: MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK,
 * LOCAL_RANK (set by `maxent-rlhf launch`, torchrun, or by hand on each host of a multi-node run).
 */

/** A malformed or inconsistent distributed environment variable; the message names it. */
export class DistributedEnvError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'DistributedEnvError';
  }
}

export interface DistEnv {
  masterAddr: string;
  masterPort: number;
  worldSize: number;
  /** Global rank in [0, worldSize). */
  rank: number;
  /** Rank on this host (selects the GPU: cuda:localRank). Defaults to RANK (one host). */
  localRank: number;
}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, lo: number, hi: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const text = raw.trim();
  if (!/^\d+$/.test(text)) throw new DistributedEnvError(name, `expected an integer, got "${raw}"`);
  const v = Number(text);
  if (v < lo || v > hi) throw new DistributedEnvError(name, `must lie in [${lo}, ${hi}], got ${v}`);
  return v;
}

/**
 * The distributed settings in `env`, or null for a single process (WORLD_SIZE unset, or 1 with no
 * MASTER_* needed). Throws DistributedEnvError naming the variable that is malformed or missing.
 */
export function readDistEnv(env: Env = process.env): DistEnv | null {
  const worldSize = integer(env, 'WORLD_SIZE', 1, 1 << 20);
  if (worldSize === undefined) {
    if (env.RANK !== undefined && env.RANK !== '')
      throw new DistributedEnvError('WORLD_SIZE', 'is unset but RANK is set (set both, or neither)');
    return null;
  }
  const rank = integer(env, 'RANK', 0, worldSize - 1);
  if (worldSize === 1) return null;
  if (rank === undefined) throw new DistributedEnvError('RANK', `is unset (WORLD_SIZE is ${worldSize})`);
  const localRank = integer(env, 'LOCAL_RANK', 0, worldSize - 1) ?? rank;
  const masterAddr = env.MASTER_ADDR?.trim();
  if (!masterAddr) throw new DistributedEnvError('MASTER_ADDR', `is unset (WORLD_SIZE is ${worldSize})`);
  if (/\s/.test(masterAddr))
    throw new DistributedEnvError('MASTER_ADDR', `expected a host name or address, got "${env.MASTER_ADDR}"`);
  const masterPort = integer(env, 'MASTER_PORT', 1, 65535);
  if (masterPort === undefined)
    throw new DistributedEnvError('MASTER_PORT', `is unset (WORLD_SIZE is ${worldSize})`);
  return { masterAddr, masterPort, worldSize, rank, localRank };
}

/** Seconds from a variable such as MAXENT_DIST_TIMEOUT (a positive number), or undefined when unset. */
export function secondsFromEnv(name: string, env: Env = process.env): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const v = Number(raw);
  if (!Number.isFinite(v) || v <= 0)
    throw new DistributedEnvError(name, `expected seconds > 0, got "${raw}"`);
  return v;
}

/** True for addresses of this host only (127.0.0.0/8, ::1, localhost). */
export function isLoopback(addr: string): boolean {
  return addr === 'localhost' || addr === '::1' || /^127\.\d+\.\d+\.\d+$/.test(addr);
}
