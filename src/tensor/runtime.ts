/** Runtime facts and thread policy for the libtorch engine. */
import { availableParallelism } from 'node:os';
import { type NativeInfo, native } from '../native/binding.ts';

/** Live (not yet disposed or collected) tensor handles in the process. */
export function liveTensors(): number {
  return native.liveTensors();
}

export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`thread count must be a positive integer, got ${n}`);
  native.setNumThreads(n);
}

export function getNumThreads(): number {
  return native.getNumThreads();
}

/**
 * Thread policy: torch's intra-op pool uses MAXENT_THREADS (default: every core) and OpenBLAS one
 * thread (set before the addon loads), so BLAS calls made from torch's parallel regions do not
 * oversubscribe the cores. bench/engine.ts measures the alternatives side by side.
 */
export function applyDefaultThreads(): void {
  const env = Number(process.env.MAXENT_THREADS);
  setNumThreads(Number.isInteger(env) && env > 0 ? env : availableParallelism());
}

export interface EngineInfo extends NativeInfo {
  blasThreads: string;
}

export function engineInfo(): EngineInfo {
  return {
    ...native.info(),
    numThreads: native.getNumThreads(),
    blasThreads: process.env.OPENBLAS_NUM_THREADS ?? 'default',
  };
}
