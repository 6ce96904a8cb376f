/** Numerical guards: NaN/Inf stops training with a diagnostic instead of saving garbage. */

export class NonFiniteError extends Error {
  constructor(
    readonly step: number,
    readonly what: string,
    readonly lastGoodCheckpoint: string | null,
  ) {
    super(
      `non-finite ${what} at step ${step}; training stopped without saving. ` +
        (lastGoodCheckpoint
          ? `Last good checkpoint: ${lastGoodCheckpoint}.`
          : 'No checkpoint was written yet.') +
        ' Lower the learning rate, enable gradient clipping, or set nonFinite: skip to skip such steps.',
    );
  }
}

export type NonFinitePolicy = 'stop' | 'skip';

/**
 * Checks named scalars; returns the name of the first non-finite one (or null). Callers then
 * either throw NonFiniteError (policy 'stop') or skip the optimizer step (policy 'skip').
 */
export function firstNonFinite(values: Record<string, number>): string | null {
  for (const [name, v] of Object.entries(values)) if (!Number.isFinite(v)) return name;
  return null;
}
