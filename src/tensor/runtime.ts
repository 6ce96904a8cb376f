/** Runtime facts and thread policy for the libtorch engine. */
import { availableParallelism } from 'node:os';
import { type NativeInfo, native } from '../native/binding.ts';
import { type ThreadPolicy, threadPolicy } from '../native/thread-policy.ts';

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
