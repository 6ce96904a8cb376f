/** Text ↔ tensors for the online loop: left-padded prompt batches and decoded responses. */
import type { Tokenizer } from '../../models/index.ts';
import { tensor } from '../../tensor/index.ts';
import type { PromptBatch, PromptSource, Rollout } from '../online/types.ts';

/** Prompts, tokenised once, served as left-padded batches (prompts keep their end when truncated). */
export function promptSource(tokenizer: Tokenizer, prompts: string[], maxPromptTokens: number): PromptSource {
  const encoded = prompts.map((p) => tokenizer.encode(p).slice(-maxPromptTokens));
  return {
    count: encoded.length,
    batch: (indices) =>
      leftPadded(
        indices.map((i) => encoded[i]!),
        tokenizer.padId,
        indices,
      ),
  };
}

export function leftPadded(rows: number[][], padId: number, index: number[]): PromptBatch {
  const T = rows.reduce((m, r) => Math.max(m, r.length), 0);
  const ids = rows.map((r) => [...Array<number>(T - r.length).fill(padId), ...r]);
  const mask = rows.map((r) => [...Array<number>(T - r.length).fill(0), ...Array<number>(r.length).fill(1)]);
  return { ids: tensor(ids, { dtype: 'int64' }), mask: tensor(mask), index };
}

/** Each row's response text, its EOS kept (as the data's completions carry it), padding dropped. */
export function decodeResponses(tokenizer: Tokenizer, rollout: Rollout): string[] {
  const ids = rollout.responseIds.toArray();
  const mask = rollout.responseMask.toArray();
  const R = rollout.responseIds.dim(1);
  return Array.from({ length: rollout.responseIds.dim(0) }, (_, b) => {
    const row: number[] = [];
    for (let t = 0; t < R && mask[b * R + t]! > 0; t++) row.push(ids[b * R + t]!);
    return tokenizer.decode(row, { unknownIds: 'skip' });
  });
}
