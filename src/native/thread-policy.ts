/**
 * The engine's default thread policy: how many intra-op threads torch gets, from the BLAS that
 * libtorch's matrix products run on (measured in bench/threads.ts on both kinds of build).
 *
 * - OpenBLAS (Debian's libtorch-dev): OpenBLAS keeps its own pool (all cores unless
 *   OPENBLAS_NUM_THREADS says otherwise), so torch's intra-op pool gets 1 thread: BLAS calls made
 *   from torch's parallel regions would otherwise oversubscribe the cores (sampling ran 4.5× slower
 *   with 2 intra-op threads on 2 cores).
 * - MKL (pip wheels, the official zips; oneDNN beside it): BLAS runs on torch's intra-op pool, so
 *   that pool gets every core (OMP_NUM_THREADS where a launcher shares the cores out): with 1 thread,
 *   half of a 2-core machine sat idle.
 * - Anything else (a reference BLAS): single-threaded BLAS, so torch's elementwise ops get the cores.
 *
 * MAXENT_THREADS overrides the choice in every case.
 */

/** Which BLAS libtorch's GEMMs call; what the policy keys on. */
export type BlasFlavour = 'openblas' | 'mkl' | 'other';

export interface ThreadPolicy {
  blas: BlasFlavour;
  /** torch's intra-op thread count. */
  intraOp: number;
  /** Where the count came from. */
  source: 'MAXENT_THREADS' | 'OMP_NUM_THREADS' | 'policy';
  /** One line for `info` and `doctor`. */
  reason: string;
}

/** The facts the policy needs (a subset of the addon's info()). */
export interface BlasFacts {
  /** OpenBLAS's thread setter is loaded in the process (so libtorch's BLAS is OpenBLAS). */
  openblasSymbol: boolean;
  /** libtorch was built with MKL (at::hasMKL()). */
  mklAvailable: boolean;
}

export function blasFlavour(facts: BlasFacts): BlasFlavour {
  if (facts.openblasSymbol) return 'openblas';
  if (facts.mklAvailable) return 'mkl';
  return 'other';
}

function positiveInt(v: string | undefined): number | null {
  if (v === undefined || v === '') return null;
  const n = Number(v);
  return Number.isInteger(n) && n > 0 ? n : null;
}

/** The intra-op thread count for this build, environment and core count. */
export function threadPolicy(facts: BlasFacts, env: NodeJS.ProcessEnv, cores: number): ThreadPolicy {
  const blas = blasFlavour(facts);
  const forced = positiveInt(env.MAXENT_THREADS);
  if (forced !== null)
    return { blas, intraOp: forced, source: 'MAXENT_THREADS', reason: `MAXENT_THREADS=${forced}` };
  if (blas === 'openblas')
    return {
      blas,
      intraOp: 1,
      source: 'policy',
      reason: 'OpenBLAS runs its own thread pool, so torch intra-op gets 1 (no oversubscription)',
    };
  const omp = positiveInt(env.OMP_NUM_THREADS);
  const what = blas === 'mkl' ? 'MKL runs on torch intra-op threads' : 'BLAS is single-threaded';
  if (omp !== null)
    return { blas, intraOp: omp, source: 'OMP_NUM_THREADS', reason: `${what}: OMP_NUM_THREADS=${omp}` };
  return {
    blas,
    intraOp: Math.max(1, cores),
    source: 'policy',
    reason: `${what}, so torch intra-op gets all ${cores} cores`,
  };
}
