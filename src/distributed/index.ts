/**
 * Data-parallel process groups on libtorch's c10d.
 *
 *   const group = await initProcessGroup();      // reads MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK, LOCAL_RANK
 *   await group.allReduce(loss, 'avg');
 *   await allReduceBuckets(group, grads);         // gradients, in ~25 MiB buckets
 *   await group.destroy();
 *
 * Start the ranks with `maxent-rlhf launch --nproc N -- <command>` (or torchrun-style variables on
 * each host); without WORLD_SIZE the group is a single process and every collective is an identity.
 */
import { native } from '../native/binding.ts';
import { getDefaultDevice } from '../tensor/index.ts';
import { type DistEnv, isLoopback, readDistEnv, secondsFromEnv } from './env.ts';
import {
  DistributedError,
  NativeProcessGroup,
  type ProcessGroup,
  SingleProcessGroup,
} from './process-group.ts';

export {
  allReduceBuckets,
  allReduceBucketsBlocking,
  type BucketOptions,
  DEFAULT_BUCKET_BYTES,
  planBuckets,
} from './buckets.ts';
export { type DistEnv, DistributedEnvError, readDistEnv } from './env.ts';
export {
  type Backend,
  DistributedError,
  NativeProcessGroup,
  type ProcessGroup,
  type ReduceOp,
  SingleProcessGroup,
} from './process-group.ts';

import { exitWithLauncher } from './launcher-watch.ts';

/** Default limit on each collective, in seconds (MAXENT_DIST_TIMEOUT overrides it). */
export const DEFAULT_TIMEOUT_S = 300;
/** Default limit on waiting for every rank to join, in seconds (MAXENT_DIST_INIT_TIMEOUT overrides it). */
export const DEFAULT_INIT_TIMEOUT_S = 300;

export interface InitOptions {
  /** 'auto' (default): nccl when the default device is CUDA and the addon has NCCL, else gloo. */
  backend?: 'auto' | 'gloo' | 'nccl';
  /** Seconds a collective may wait for the other ranks (default MAXENT_DIST_TIMEOUT, else 300). */
  timeoutS?: number;
  /** Seconds to wait for every rank to join (default MAXENT_DIST_INIT_TIMEOUT, else 300). */
  initTimeoutS?: number;
  /** The variables to read (default process.env). */
  env?: Record<string, string | undefined>;
}

/** Backends this addon was built with: gloo needs Gloo's headers at build time, nccl a CUDA libtorch with NCCL. */
export function availableBackends(): string[] {
  return native.distBackends();
}

/**
 * Joins the process group described by the environment (torchrun convention), or returns a
 * single-process group when WORLD_SIZE is unset or 1. Resolves once every rank has joined; rejects
 * with a DistributedError naming this rank after the timeout (a rank that never came, a wrong
 * MASTER_ADDR/PORT) and with a DistributedEnvError naming a malformed variable.
 */
export async function initProcessGroup(opts: InitOptions = {}): Promise<ProcessGroup> {
  const env = opts.env ?? process.env;
  const dist = readDistEnv(env);
  if (dist === null) return new SingleProcessGroup();
  exitWithLauncher(env);
  const timeoutS = opts.timeoutS ?? secondsFromEnv('MAXENT_DIST_TIMEOUT', env) ?? DEFAULT_TIMEOUT_S;
  const initTimeoutS =
    opts.initTimeoutS ?? secondsFromEnv('MAXENT_DIST_INIT_TIMEOUT', env) ?? DEFAULT_INIT_TIMEOUT_S;
  for (const [name, v] of [
    ['timeoutS', timeoutS],
    ['initTimeoutS', initTimeoutS],
  ] as const)
    if (!(v > 0)) throw new Error(`initProcessGroup: ${name} must be positive, got ${v}`);
  const backend = chooseBackend(opts.backend ?? 'auto');
  const interfaces = env.GLOO_SOCKET_IFNAME?.split(',').filter((s) => s.trim() !== '') ?? [];
  try {
    const handle = await native.distInit({
      backend,
      masterAddr: dist.masterAddr,
      masterPort: dist.masterPort,
      rank: dist.rank,
      worldSize: dist.worldSize,
      timeoutMs: Math.round(timeoutS * 1000),
      initTimeoutMs: Math.round(initTimeoutS * 1000),
      interfaces: interfaces.length > 0 ? interfaces : null,
      // On one host, rank-to-rank traffic stays on the loopback address the store uses; across
      // hosts each binds the address its hostname resolves to (or GLOO_SOCKET_IFNAME).
      deviceHost: interfaces.length === 0 && isLoopback(dist.masterAddr) ? dist.masterAddr : null,
    });
    return new NativeProcessGroup(handle, dist.localRank);
  } catch (e) {
    throw initError(e, dist);
  }
}

function chooseBackend(wanted: 'auto' | 'gloo' | 'nccl'): 'gloo' | 'nccl' {
  const have = availableBackends();
  const backend =
    wanted === 'auto'
      ? getDefaultDevice().startsWith('cuda') && have.includes('nccl')
        ? 'nccl'
        : 'gloo'
      : wanted;
  if (have.includes(backend)) return backend;
  if (backend === 'gloo')
    throw new Error(
      `initProcessGroup: this addon was built without c10d's Gloo backend (have: ${have.length ? have.join(', ') : 'none'}). ` +
        "With Debian's libtorch: apt-get install libgloo-dev and run `npm run build:addon`. A pip or zip libtorch ships no " +
        'Gloo headers, and Gloo headers from elsewhere need not match the Gloo compiled into it, so they are not used: ' +
        "on CUDA use backend 'nccl'; see docs/distributed.md",
    );
  throw new Error(
    `initProcessGroup: backend ${backend} is not built into the addon (have: ${have.length ? have.join(', ') : 'none'}): NCCL needs a CUDA libtorch built with NCCL, and nccl.h at build time (docs/distributed.md)`,
  );
}

function initError(e: unknown, dist: DistEnv): Error {
  const message = (e instanceof Error ? e.message : String(e)).replace(/^distInit: /, '');
  return new DistributedError(message, 'init', dist.rank, dist.worldSize, { cause: e });
}
