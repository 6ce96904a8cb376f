/** Runtime facts and thread policy for the libtorch engine. */
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
 * Re-applies the thread policy of src/native/binding.ts: torch intra-op threads = MAXENT_THREADS
 * (default 1) while OpenBLAS keeps its own pool, so the two never oversubscribe the cores.
 */
export function applyDefaultThreads(): void {
  const env = Number(process.env.MAXENT_THREADS ?? 1);
  setNumThreads(Number.isInteger(env) && env > 0 ? env : 1);
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
