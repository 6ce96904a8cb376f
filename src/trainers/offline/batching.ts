/**
 * Turning (prompt, completion) text into training tensors: prompt + completion + EOS (one), prompt
 * truncated from the left, completion from the right, right-padded, with a loss mask on the
 * completion tokens (EOS included). Limits are checked up front: a prompt limit that leaves no
 * room for the response is an error (it produced NaN losses in SimPO's own repository). Preference
 * pairs are encoded the same way, and held-out sets are read in fixed consecutive batches.
 */
import type { PreferenceExample } from '../../data/index.ts';
import { type Tensor, tensor, tidy } from '../../tensor/index.ts';
import { DataParallel, type MetricPart } from '../common/data-parallel.ts';
import type { TextTokenizer } from './lm.ts';

export interface LengthLimits {
  maxPromptTokens: number;
  maxTotalTokens: number;
}

export interface TokenizedExample {
  ids: number[];
  /** Index of the first completion token in ids. */
  promptLength: number;
}

export interface TrainingBatch {
  /** [B, T] int64, right-padded. */
  ids: Tensor;
  /** [B, T] float: 1 on tokens, 0 on padding. */
  attentionMask: Tensor;
  /** [B, T] float: 1 on completion tokens (what the loss is taken on). */
  lossMask: Tensor;
}

export function checkLimits(limits: LengthLimits): void {
  if (limits.maxPromptTokens >= limits.maxTotalTokens) {
    throw new Error(
      `maxPromptTokens (${limits.maxPromptTokens}) must be smaller than maxTotalTokens (${limits.maxTotalTokens}): no room is left for the response`,
    );
  }
}

export function tokenizeExample(
  tokenizer: TextTokenizer,
  prompt: string,
  completion: string,
  limits: LengthLimits,
): TokenizedExample {
  const promptIds = tokenizer.encode(prompt).slice(-limits.maxPromptTokens);
  const encoded = tokenizer.encode(completion);
  // Completions that already end with EOS (as the lab's and some TL;DR files do) keep a single one.
  const withEos = encoded[encoded.length - 1] === tokenizer.eosId ? encoded : [...encoded, tokenizer.eosId];
  const completionIds = withEos.slice(0, limits.maxTotalTokens - promptIds.length);
  return { ids: [...promptIds, ...completionIds], promptLength: promptIds.length };
}

/** A preference pair, both completions encoded after the same prompt. */
export interface EncodedPair {
  chosen: TokenizedExample;
  rejected: TokenizedExample;
}

export function encodePairs(
  tokenizer: TextTokenizer,
  rows: PreferenceExample[],
  limits: LengthLimits,
): EncodedPair[] {
  return rows.map((e) => ({
    chosen: tokenizeExample(tokenizer, e.prompt, e.chosen, limits),
    rejected: tokenizeExample(tokenizer, e.prompt, e.rejected, limits),
  }));
}

/** The chosen completions, then the rejected ones, as one batch (one forward pass for both). */
export function collatePairs(pairs: EncodedPair[], padId: number): TrainingBatch {
  return collate([...pairs.map((p) => p.chosen), ...pairs.map((p) => p.rejected)], padId);
}

/** Right-pads examples into a batch. */
export function collate(examples: TokenizedExample[], padId: number): TrainingBatch {
  const T = examples.reduce((m, e) => Math.max(m, e.ids.length), 0);
  const ids: number[][] = [];
  const attention: number[][] = [];
  const loss: number[][] = [];
  for (const e of examples) {
    const pad = T - e.ids.length;
    ids.push([...e.ids, ...Array<number>(pad).fill(padId)]);
    attention.push([...Array<number>(e.ids.length).fill(1), ...Array<number>(pad).fill(0)]);
    loss.push([...e.ids.map((_, i): number => (i >= e.promptLength ? 1 : 0)), ...Array<number>(pad).fill(0)]);
  }
  return {
    ids: tensor(ids, { dtype: 'int64' }),
    attentionMask: tensor(attention),
    lossMask: tensor(loss),
  };
}

/** How held-out batches are shared out: over data-parallel ranks, and by the units their metrics average. */
export interface SharedEvaluation {
  dp?: DataParallel;
  /** Units (tokens, pairs) the metrics of these examples are means over (default: one per example). */
  weightOf?: (indices: number[]) => number;
}

/**
 * Key-wise means of `metricsOf` over up to maxBatches consecutive batches of a held-out set of
 * `size` examples (each batch run once, in its own tensor scope): each batch's metrics, then their
 * mean over batches. With several ranks each takes a contiguous share of every batch, and a batch's
 * metrics are the weighted mean of its shares: the same numbers as in one process.
 */
export function meanOverBatches(
  size: number,
  batchSize: number,
  maxBatches: number,
  metricsOf: (indices: number[]) => Record<string, number>,
  shared: SharedEvaluation = {},
): Record<string, number> {
  const dp = shared.dp ?? new DataParallel();
  const weightOf = shared.weightOf ?? ((indices: number[]) => indices.length);
  const parts: MetricPart[] = [];
  let batches = 0;
  for (let start = 0; start < size && batches < maxBatches; start += batchSize, batches++) {
    const indices = Array.from({ length: Math.min(batchSize, size - start) }, (_, i) => start + i);
    const mine = dp.shard(indices);
    if (mine.length === 0) continue;
    const share = mine.length === indices.length ? 1 : weightOf(mine) / weightOf(indices);
    parts.push({ metrics: tidy(() => metricsOf(mine)), share });
  }
  const sums = dp.combine(parts);
  return Object.fromEntries(Object.entries(sums).map(([key, total]) => [key, total / Math.max(1, batches)]));
}
