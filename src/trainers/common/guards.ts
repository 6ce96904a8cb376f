/** Numerical guards: NaN/Inf stops training with a diagnostic instead of saving garbage. */
import { type Tensor, tidy } from '../../tensor/index.ts';

/** What a NaN message advises, from the optimisation settings of the run. */
export interface NonFiniteAdvice {
  /** The run's gradient-clipping threshold: clipping is on when it is finite and > 0. */
  maxGradNorm?: number;
  /** Replaces the advice (e.g. a non-finite reward comes from the reward model, not the optimizer). */
  hint?: string;
}

/** The advice of a NaN message: lower the learning rate, and enable clipping only where it is off. */
export function nonFiniteHint(advice: NonFiniteAdvice = {}): string {
  if (advice.hint) return advice.hint;
  const m = advice.maxGradNorm;
  const clipping = m !== undefined && Number.isFinite(m) && m > 0;
  return clipping
    ? `Lower the learning rate (gradient clipping is already on: maxGradNorm ${m}), or set nonFinite: skip to skip such steps.`
    : 'Lower the learning rate, enable gradient clipping (maxGradNorm), or set nonFinite: skip to skip such steps.';
}

export class NonFiniteError extends Error {
  constructor(
    readonly step: number,
    readonly what: string,
    readonly lastGoodCheckpoint: string | null,
    advice: NonFiniteAdvice = {},
  ) {
    super(
      `non-finite ${what} at step ${step}; training stopped without saving. ` +
        (lastGoodCheckpoint
          ? `Last good checkpoint: ${lastGoodCheckpoint}.`
          : 'No checkpoint was written yet.') +
        ` ${nonFiniteHint(advice)}`,
    );
  }
}

export type NonFinitePolicy = 'stop' | 'skip';

/**
 * Limits of `nonFinite: skip`: a run that skips this many steps in a row, or more than this
 * fraction of its steps (once it has run SKIP_FRACTION_MIN_STEPS), is not learning and stops.
 */
export const MAX_CONSECUTIVE_SKIPS = 5;
export const MAX_SKIPPED_FRACTION = 0.1;
export const SKIP_FRACTION_MIN_STEPS = 20;

/** Why a run under `nonFinite: skip` has skipped too many steps, or null while it has not. */
export function tooManySkipped(
  skipped: { total: number; consecutive: number },
  steps: number,
): string | null {
  if (skipped.consecutive >= MAX_CONSECUTIVE_SKIPS)
    return `${skipped.consecutive} steps in a row were skipped`;
  if (steps >= SKIP_FRACTION_MIN_STEPS && skipped.total > MAX_SKIPPED_FRACTION * steps)
    return `${skipped.total} of ${steps} steps were skipped (more than ${MAX_SKIPPED_FRACTION * 100} %)`;
  return null;
}

/** A run under `nonFinite: skip` that skipped too many steps: it stops instead of reporting done. */
export class TooManySkippedError extends Error {
  override name = 'TooManySkippedError';
  constructor(
    readonly step: number,
    reason: string,
    lastGoodCheckpoint: string | null,
  ) {
    super(
      `step ${step}: ${reason} for non-finite values (nonFinite: skip): the run is not learning, so it stops. ` +
        (lastGoodCheckpoint ? `Last checkpoint: ${lastGoodCheckpoint}. ` : '') +
        'Lower the learning rate or enable gradient clipping (maxGradNorm).',
    );
  }
}

/**
 * Checks named scalars; returns the name of the first non-finite one (or null). Callers then
 * either throw NonFiniteError (policy 'stop') or skip the optimizer step (policy 'skip').
 */
export function firstNonFinite(values: Record<string, number>): string | null {
  for (const [name, v] of Object.entries(values)) if (!Number.isFinite(v)) return name;
  return null;
}

/** A named tensor to check, optionally only where `mask` is non-zero (e.g. response tokens, not padding). */
export interface CheckedTensor {
  tensor: Tensor;
  mask?: Tensor;
}

/**
 * Describes the first tensor (in key order) holding NaN/Inf, e.g.
 * `rollout log-probs (3 of 64 values; the first, NaN, at [2, 5])`, or null when all are finite.
 * Scalars are checked as they are; null entries are absent tensors (no reference model…).
 */
export function describeNonFinite(values: Record<string, CheckedTensor | number | null>): string | null {
  for (const [name, v] of Object.entries(values)) {
    if (v === null) continue;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return `${name} (${v})`;
      continue;
    }
    const found = tidy(() => {
      let bad = v.tensor.isfinite().logicalNot();
      if (v.mask) bad = bad.logicalAnd(v.mask.ne(0));
      const count = bad.sum().item();
      if (count === 0) return null;
      const flatIndex = bad.flatten().long().argmax(0).item();
      const value = v.tensor.flatten().select(0, flatIndex).item();
      return { count, flatIndex, value };
    });
    if (found === null) continue;
    const index = unravel(found.flatIndex, v.tensor.shape);
    return (
      `${name} (${found.count} of ${v.tensor.size} values; the first, ${found.value}, ` +
      `at [${index.join(', ')}])`
    );
  }
  return null;
}

function unravel(flat: number, shape: number[]): number[] {
  const index: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    index.unshift(flat % shape[d]!);
    flat = Math.floor(flat / shape[d]!);
  }
  return index;
}
