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
