/** The knobs every trainer's config has, named, bounded, defaulted and described once. */
import { z } from 'zod';
import { MAX_KEPT_CHECKPOINTS, MAX_STEPS } from '../../config/limits.ts';

export const seed = z
  .number()
  .int()
  .nonnegative()
  .default(1)
  .describe('seed of the data order, of sampling and of freshly initialised heads (score, value)');

/** `checkpointEvery` with the trainer's own default. */
export const checkpointEvery = (every: number) =>
  z
    .number()
    .int()
    .nonnegative()
    .max(MAX_STEPS)
    .default(every)
    .describe('write a checkpoint every N steps (0: only at the end); the last step always writes one');

export const keepCheckpoints = z
  .number()
  .int()
  .positive()
  .max(MAX_KEPT_CHECKPOINTS)
  .default(2)
  .describe('how many valid checkpoints to keep (older ones are pruned)');

/** The learning-rate schedule after warm-up, with the trainer's own default. */
export const schedule = (fallback: 'constant' | 'linear' | 'cosine') =>
  z
    .enum(['constant', 'linear', 'cosine'])
    .default(fallback)
    .describe(
      'learning-rate schedule after warm-up: constant, or a linear / cosine decay towards 0 at the last step',
    );

export const warmupSteps = z
  .number()
  .int()
  .nonnegative()
  .max(MAX_STEPS)
  .default(0)
  .describe('linear warm-up steps from 0 to the peak learning rate');

export const warmupRatio = z
  .number()
  .min(0)
  .max(1)
  .nullable()
  .default(null)
  .describe(
    "warm-up as a fraction of the run's steps, ⌈ratio·steps⌉ (TRL's warmup_ratio); set: replaces warmupSteps",
  );

/** `evalEvery` with the trainer's own default and what 0 means for it. */
export const evalEvery = (every: number, zero: string) =>
  z
    .number()
    .int()
    .nonnegative()
    .max(MAX_STEPS)
    .default(every)
    .describe(`evaluate every N steps (0: ${zero})`);

export const weightDecay = z.number().nonnegative().default(0).describe('AdamW decoupled weight decay');

export const maxGradNorm = z
  .number()
  .positive()
  .default(1)
  .describe(
    'clip the global gradient norm to this value (0, no clipping, is not allowed: use a large value)',
  );

export const nonFinite = z
  .enum(['stop', 'skip'])
  .default('stop')
  .describe(
    'on a NaN/Inf loss, gradient norm or rollout: stop with a diagnostic naming the last valid checkpoint, or skip the update',
  );
