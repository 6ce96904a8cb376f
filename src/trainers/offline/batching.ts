/**
 * Turning (prompt, completion) text into training tensors: prompt + completion + EOS (one), prompt
 * truncated from the left, completion from the right, right-padded, with a loss mask on the
 * completion tokens (EOS included). Limits are checked up front: a prompt limit that leaves no
 * room for the response is an error (it produced NaN losses in SimPO's own repository).
 */
import { type Tensor, tensor } from '../../tensor/index.ts';
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

export function checkLimits(l: LengthLimits): void {
  if (l.maxPromptTokens >= l.maxTotalTokens) {
    throw new Error(
      `maxPromptTokens (${l.maxPromptTokens}) must be smaller than maxTotalTokens (${l.maxTotalTokens}): no room is left for the response`,
    );
  }
}

export function tokenizeExample(
  tok: TextTokenizer,
  prompt: string,
  completion: string,
  l: LengthLimits,
): TokenizedExample {
  const p = tok.encode(prompt).slice(-l.maxPromptTokens);
  const encoded = tok.encode(completion);
  // Completions that already end with EOS (as the lab's and some TL;DR files do) keep a single one.
  const withEos = encoded[encoded.length - 1] === tok.eosId ? encoded : [...encoded, tok.eosId];
  const c = withEos.slice(0, l.maxTotalTokens - p.length);
  return { ids: [...p, ...c], promptLength: p.length };
}

/** Right-pads examples into a batch. */
export function collate(examples: TokenizedExample[], padId: number): TrainingBatch {
  const T = Math.max(...examples.map((e) => e.ids.length));
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
