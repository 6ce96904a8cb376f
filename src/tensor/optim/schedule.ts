/** Learning-rate schedules as pure functions of the step (0-based), so checkpoints need only the step. */

export type ScheduleKind = 'constant' | 'linear' | 'cosine';

export interface ScheduleConfig {
  kind: ScheduleKind;
  /** Peak learning rate. */
  lr: number;
  /** Steps of linear warm-up from 0 to lr. */
  warmupSteps: number;
  /** Total steps; decay schedules reach minLr at this step. */
  totalSteps: number;
  /** Floor reached at the end of decay (cosine and linear). Default 0. */
  minLr?: number;
}

/** Learning rate for update number `step` (0-based): warm-up, then constant, linear or cosine decay. */
export function learningRateAt(step: number, c: ScheduleConfig): number {
  const minLr = c.minLr ?? 0;
  if (c.warmupSteps > 0 && step < c.warmupSteps) return (c.lr * (step + 1)) / c.warmupSteps;
  if (c.kind === 'constant') return c.lr;
  const decaySteps = Math.max(1, c.totalSteps - c.warmupSteps);
  const progress = Math.min(1, Math.max(0, (step - c.warmupSteps) / decaySteps));
  if (c.kind === 'linear') return minLr + (c.lr - minLr) * (1 - progress);
  return minLr + 0.5 * (c.lr - minLr) * (1 + Math.cos(Math.PI * progress));
}
