/**
 * Rollouts in chunks of rows, so that no pass holds more than a chunk's activations and logits:
 * the no-grad scoring passes (policy, reference, reward model, values) run `scoreBatchSize` rows at
 * a time, and an update's minibatch runs as micro-batches of `microBatchSize` rows whose gradients
 * accumulate with exact token (or row) weights (common/accumulate.ts).
 */
import { cat, dispose, type Tensor, tidy } from '../../tensor/index.ts';
import type { PartLoss, WeightedPart } from '../common/accumulate.ts';
import {
  type LossWeighting,
  type MicroBatch,
  type Rollout,
  selectRows,
  type TokenScores,
  type ValueModel,
} from './types.ts';

/** `fn` over consecutive chunks of at most `size` rows (null: all at once), results concatenated along dim 0. */
export function inChunks<R extends Record<string, Tensor | undefined>>(
  rollout: Rollout,
  size: number | null,
  fn: (chunk: Rollout) => R,
): R {
  const rows = rollout.responseMask.dim(0);
  if (size === null || size >= rows) return fn(rollout);
  const parts: R[] = [];
  for (let start = 0; start < rows; start += size) {
    const n = Math.min(size, rows - start);
    parts.push(tidy(() => fn(narrowRows(rollout, start, n))));
  }
  const out: Record<string, Tensor> = {};
  for (const key of Object.keys(parts[0]!)) {
    const pieces = parts.map((p) => p[key]).filter((t): t is Tensor => t !== undefined);
    if (pieces.length === parts.length) out[key] = cat(pieces, 0);
    dispose(pieces);
  }
  return out as R;
}

/** Token scores of a rollout, `size` rows at a time. */
export function scoreInChunks(
  rollout: Rollout,
  size: number | null,
  score: (chunk: Rollout) => TokenScores,
): TokenScores {
  return inChunks(rollout, size, (chunk) => ({ ...score(chunk) }));
}

/** Sequence rewards [B] of a rollout, `size` rows at a time. */
export function rewardInChunks(
  rollout: Rollout,
  size: number | null,
  reward: (chunk: Rollout) => Tensor,
): Tensor {
  return inChunks(rollout, size, (chunk) => ({ reward: reward(chunk) })).reward;
}

/** Rows start … start + n − 1 of a rollout (views, no copies). */
export function narrowRows(rollout: Rollout, start: number, n: number): Rollout {
  const rows = (t: Tensor) => t.narrow(0, start, n);
  return {
    prompts: {
      ids: rows(rollout.prompts.ids),
      mask: rows(rollout.prompts.mask),
      index: rollout.prompts.index.slice(start, start + n),
    },
    responseIds: rows(rollout.responseIds),
    responseMask: rows(rollout.responseMask),
    endedWithEos: rows(rollout.endedWithEos),
  };
}

/**
 * The micro-batches of a minibatch `rows`: at most `size` rows each (null: one), each weighted by its
 * response tokens ('tokens') or its rows ('rows').
 */
export function microBatchParts(
  rollout: Rollout,
  rows: Tensor,
  size: number | null,
  weighting: LossWeighting,
): WeightedPart<Tensor>[] {
  const n = rows.dim(0);
  const chunks = size === null || size >= n ? [rows] : rows.split(size);
  return chunks.map((part) => ({
    part,
    weight:
      weighting === 'rows' ? part.dim(0) : tidy(() => rollout.responseMask.indexSelect(0, part).sum().item()),
  }));
}

/** Adapts an algorithm's micro-batch loss to the rows it is given. */
export function microBatchLoss(
  rollout: Rollout,
  lossOf: (micro: MicroBatch) => PartLoss,
): (rows: Tensor) => PartLoss {
  return (rows) => lossOf({ rows, rollout: selectRows(rollout, rows), take: (t) => t.indexSelect(0, rows) });
}

/** A separate critic's values [B, R] of a rollout, `size` rows at a time. */
export function valuesInChunks(rollout: Rollout, size: number | null, critic: ValueModel): Tensor {
  return inChunks(rollout, size, (chunk) => ({ values: critic.values(chunk) })).values;
}
