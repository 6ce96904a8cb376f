/**
 * How long a run trains: `steps`, or — when `epochs` is set (TRL's `num_train_epochs`) — as many
 * optimizer steps as `epochs` passes over the training rows take, ⌈epochs·rows / rowsPerStep⌉
 * (rows: examples, pairs or prompts; rowsPerStep: batchSize·gradAccum offline, promptsPerStep online).
 * A fractional epoch rounds up to a whole step.
 */
export function trainingSteps(
  c: { steps: number; epochs?: number | null },
  rows: number,
  rowsPerStep: number,
): number {
  if (c.epochs == null) return c.steps;
  if (!(rows > 0)) throw new Error(`epochs ${c.epochs}: the training data has no rows`);
  return Math.max(1, Math.ceil((c.epochs * rows) / rowsPerStep));
}

/** Warm-up steps: `warmupSteps`, or ⌈warmupRatio·totalSteps⌉ when the ratio is set (TRL's `warmup_ratio`). */
export function warmupStepsOf(
  o: { warmupSteps: number; warmupRatio?: number | null },
  totalSteps: number,
): number {
  return o.warmupRatio == null ? o.warmupSteps : Math.ceil(o.warmupRatio * totalSteps);
}
