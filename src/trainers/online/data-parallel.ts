/**
 * The online trainer over data-parallel ranks. Each rank samples and scores a contiguous share of
 * the step's prompts (all k samples of a prompt on one rank, from keyed noise: the tokens one
 * process would sample); the shares are then gathered, so that every rank holds the whole rollout
 * and computes the same advantages, whitening statistics and minibatch shuffles as one process;
 * each update's rows are split over the ranks again, weighted by their tokens (or rows) in the
 * whole minibatch (minibatchUpdate). Only per-row tensors travel ([B, R] and [B]); the full-vocabulary
 * distributions stay on the rank that computed them.
 */
import { cat, type DType, dispose, type Tensor, tensor, tidy, zeros } from '../../tensor/index.ts';
import type { DataParallel } from '../common/data-parallel.ts';
import type { TrainingSession } from '../common/session.ts';
import { microBatchLoss, microBatchParts } from './chunks.ts';
import type { LearnContext, LossWeighting, PromptBatch, Rollout, TokenScores } from './types.ts';

/** A step's rollout and its no-grad scores, as the trainer builds them. */
export interface ScoredRollout {
  rollout: Rollout;
  old: TokenScores;
  ref: TokenScores | null;
  scores: Tensor;
}

/** This rank's rows [start, end) of a step's prompt batch of `prompts` prompts × k samples. */
export function shareOfStep(dp: DataParallel, prompts: number, k: number): { start: number; end: number } {
  const [first, last] = dp.range(prompts);
  return { start: first * k, end: last * k };
}

/** This rank's rows of the whole prompt batch (views). */
export function localPrompts(prompts: PromptBatch, start: number, end: number): PromptBatch {
  return {
    ids: prompts.ids.narrow(0, start, end - start),
    mask: prompts.mask.narrow(0, start, end - start),
    index: prompts.index.slice(start, end),
  };
}

/**
 * Every rank's share gathered into the whole rollout on every rank (blocking). `local` covers rows
 * [start, start + n) of `prompts` (the whole prompt batch); responses are right-padded to the
 * longest on any rank, as one process pads them. Full-vocabulary log-probs are not gathered.
 */
export function gatherRollout(
  dp: DataParallel,
  prompts: PromptBatch,
  local: ScoredRollout,
  start: number,
): ScoredRollout {
  const rows = prompts.ids.dim(0);
  const [width] = dp.max([local.rollout.responseIds.dim(1)]);
  const whole = (t: Tensor) => gatherRows(dp, t, start, rows, width!);
  const scores = (s: TokenScores): TokenScores => {
    const out: TokenScores = { logps: whole(s.logps), entropy: whole(s.entropy) };
    if (s.values) out.values = whole(s.values);
    return out;
  };
  // PPO's values exist on every rank or none: the same algorithm runs everywhere.
  return {
    rollout: {
      prompts,
      responseIds: whole(local.rollout.responseIds),
      responseMask: whole(local.rollout.responseMask),
      endedWithEos: whole(local.rollout.endedWithEos),
    },
    old: scores(local.old),
    ref: local.ref && scores(local.ref),
    scores: whole(local.scores),
  };
}

/** Gloo moves these dtypes; others are reduced through one of them and cast back exactly. */
const CARRIER: Partial<Record<DType, DType>> = { bool: 'uint8', bfloat16: 'float32' };

/**
 * A [rows, …] tensor whose rows [start, start + n) are this rank's `local` ([n, …], a last dimension
 * shorter than `width` padded with zeros when it is per-token) and the other rows the other ranks'.
 * Each element is written by one rank and zero elsewhere, so a sum gathers it exactly.
 */
function gatherRows(dp: DataParallel, local: Tensor, start: number, rows: number, width: number): Tensor {
  return tidy(() => {
    const dtype = local.dtype;
    const carrier = CARRIER[dtype] ?? dtype;
    let mine = local.to({ dtype: carrier, device: dp.device });
    if (mine.rank === 2 && mine.dim(1) < width)
      mine = cat([mine, zeros([mine.dim(0), width - mine.dim(1)], { dtype: carrier, device: dp.device })], 1);
    const shape = [rows, ...mine.shape.slice(1)];
    const all = zeros(shape, { dtype: carrier, device: dp.device });
    if (mine.dim(0) > 0) all.narrow(0, start, mine.dim(0)).copy_(mine);
    dp.group.allReduceBlocking([all], 'sum');
    return all.to({ dtype, device: local.device });
  });
}

/** This rank's contiguous share of an update's rows ([n] int64), or null when it has none. */
export function shareOfRows(dp: DataParallel, rows: Tensor): Tensor | null {
  const mine = dp.shard(rows.toArray());
  return mine.length > 0 ? tensor(mine, { dtype: 'int64', device: rows.device }) : null;
}

/** What the loss over `rows` is a mean over: their response tokens, or the rows themselves. */
export function weightOfRows(rollout: Rollout, rows: Tensor, weighting: LossWeighting): number {
  if (weighting === 'rows') return rows.dim(0);
  return tidy(() => rollout.responseMask.indexSelect(0, rows).sum().item());
}

/**
 * The update skeleton's optimizer step (LearnContext.update) over the ranks: this rank's share of a
 * minibatch's rows, in micro-batches of at most `microBatchSize` rows, weighted within the whole
 * minibatch over every rank (in one process: all the rows, weighted within themselves).
 */
export function minibatchUpdate(
  dp: DataParallel,
  session: TrainingSession<object>,
  rollout: Rollout,
  microBatchSize: number | null,
  lr: number,
): LearnContext['update'] {
  return (rows, lossOf, weighting = 'tokens') => {
    const mine = dp.distributed ? shareOfRows(dp, rows) : rows;
    const parts = mine ? microBatchParts(rollout, mine, microBatchSize, weighting) : [];
    const total = dp.distributed ? weightOfRows(rollout, rows, weighting) : undefined;
    const out = session.applyMicroBatches(parts, microBatchLoss(rollout, lossOf), lr, total);
    dispose(parts.map((p) => p.part).filter((t) => t !== rows));
    if (mine !== rows) mine?.dispose();
    return out;
  };
}
