/** Runtime facts and thread policy for the libtorch engine. */
import { availableParallelism } from 'node:os';
import { type NativeInfo, native } from '../native/binding.ts';
import { type ThreadPolicy, threadPolicy } from '../native/thread-policy.ts';

/** Live (not yet disposed or collected) tensor handles in the process. */
export function liveTensors(): number {
  return native.liveTensors();
}

/**
 * Counts the host (CPU) memory libtorch allocates for tensors from now on — every tensor and every
 * temporary inside an op — the CPU counterpart of CUDA's memory_allocated / max_memory_allocated.
 * Tensors allocated before the first call are not counted. Idempotent.
 */
export function trackHostMemory(): void {
  if (!native.trackHostMemory())
    throw new Error('trackHostMemory: libtorch did not accept the counting CPU allocator');
}

export interface HostMemoryStats {
  /** trackHostMemory() has been called. */
  tracked: boolean;
  /** Bytes held by tensors allocated since tracking began. */
  current: number;
  /** The high-water mark of `current` since tracking began or the last resetHostMemoryPeak(). */
  peak: number;
}

export function hostMemoryStats(): HostMemoryStats {
  return native.hostMemoryStats();
}

/** Starts a new high-water mark at the current count. */
export function resetHostMemoryPeak(): void {
  native.resetHostMemoryPeak();
}

export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`thread count must be a positive integer, got ${n}`);
  native.setNumThreads(n);
}

export function getNumThreads(): number {
  return native.getNumThreads();
}

/** The default thread policy for this build and environment (src/native/thread-policy.ts). */
export function defaultThreadPolicy(): ThreadPolicy {
  return threadPolicy(native.info(), process.env, availableParallelism());
}

/**
 * Re-applies the default thread policy (the one applied when the addon loads): on OpenBLAS torch
 * intra-op 1 and OpenBLAS its own pool; on MKL every core for torch's pool; MAXENT_THREADS overrides.
 */
export function applyDefaultThreads(): void {
  setNumThreads(defaultThreadPolicy().intraOp);
}

export interface EngineInfo extends NativeInfo {
  blasThreads: string;
  /** The default thread policy; numThreads is what is set now. */
  threadPolicy: ThreadPolicy;
}

export function engineInfo(): EngineInfo {
  return {
    ...native.info(),
    numThreads: native.getNumThreads(),
    blasThreads: process.env.OPENBLAS_NUM_THREADS ?? 'default',
    threadPolicy: defaultThreadPolicy(),
  };
}
