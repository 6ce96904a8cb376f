/**
 * One row of the theory table: a statement, the assumption under which it is checked, and the worst
 * deviation over N seeded random instances. A row either expects the statement to HOLD (pass when
 * every deviation ≤ tolerance) or expects it to DEVIATE (pass when every deviation > tolerance: the
 * check shows that the statement breaks once its assumption is dropped).
 */
import { createPrng, type Prng } from './prng.ts';

export type Expectation = 'holds' | 'deviates';

export interface CheckRow {
  id: string;
  statement: string;
  assumption: string;
  /** What the deviation measures. */
  metric: string;
  expectation: Expectation;
  instances: number;
  maxDeviation: number;
  minDeviation: number;
  tolerance: number;
  pass: boolean;
  /** One line: "holds", or the condition the statement needs, or what went wrong. */
  verdict: string;
}

export interface CheckSpec {
  id: string;
  statement: string;
  assumption: string;
  metric: string;
  expectation: Expectation;
  tolerance: number;
  /** For `deviates` rows: the condition under which the statement does hold. */
  holdsOnlyUnder?: string;
  /** The deviation of one random instance, drawn from `rng`. */
  deviation(rng: Prng): number;
}

export interface CheckRunOptions {
  instances: number;
  seed: number;
}

/** Runs a check on `instances` instances from a generator seeded by (seed, id). */
export function evaluateCheck(spec: CheckSpec, options: CheckRunOptions): CheckRow {
  const rng = createPrng(mixSeed(options.seed, spec.id));
  const deviations: number[] = [];
  try {
    for (let i = 0; i < options.instances; i++) deviations.push(spec.deviation(rng));
  } catch (error) {
    return rowFor(spec, options.instances, [Number.NaN], `error: ${(error as Error).message}`);
  }
  return rowFor(spec, options.instances, deviations);
}

function rowFor(spec: CheckSpec, instances: number, deviations: number[], error?: string): CheckRow {
  const maxDeviation = Math.max(...deviations);
  const minDeviation = Math.min(...deviations);
  const pass =
    !error && (spec.expectation === 'holds' ? maxDeviation <= spec.tolerance : minDeviation > spec.tolerance);
  return {
    id: spec.id,
    statement: spec.statement,
    assumption: spec.assumption,
    metric: spec.metric,
    expectation: spec.expectation,
    instances,
    maxDeviation,
    minDeviation,
    tolerance: spec.tolerance,
    pass,
    verdict: error ?? verdictFor(spec, pass),
  };
}

function verdictFor(spec: CheckSpec, pass: boolean): string {
  if (spec.expectation === 'holds') return pass ? 'holds' : 'FAILS';
  if (!pass) return 'deviation NOT shown in every instance';
  return `holds only under ${spec.holdsOnlyUnder ?? 'its assumption'}`;
}

/** A 32-bit seed from the run seed and the check id (FNV-1a), so rows draw independent instances. */
function mixSeed(seed: number, id: string): number {
  let hash = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

/** Throws unless an optimiser converged, so a non-converged optimum can never pass as a check. */
export function requireConverged(result: { converged: boolean }, what: string): void {
  if (!result.converged) throw new Error(`${what} did not converge`);
}
