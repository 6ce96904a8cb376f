/**
 * Rectangular batches of token ids. Left padding (for generation: every prompt ends at the last
 * column) puts pad ids before the tokens; right padding (for training) puts them after.
 */

/** A padded rectangular batch: `attentionMask` is 1 on real tokens and 0 on pads; `lengths` counts real tokens. */
export interface Encoded {
  ids: number[][];
  attentionMask: number[][];
  lengths: number[];
}

/** Which side of a row receives the padding. */
export type PaddingSide = 'left' | 'right';

/** Pads every row to `width` (default: the longest row) with `padId` on `side`. */
export function padBatch(
  rows: readonly number[][],
  side: PaddingSide,
  padId: number,
  width?: number,
): Encoded {
  const longest = rows.reduce((max, row) => Math.max(max, row.length), 0);
  const target = width ?? longest;
  if (target < longest) throw new Error(`pad width ${target} is shorter than the longest row (${longest})`);
  const ids: number[][] = [];
  const attentionMask: number[][] = [];
  for (const row of rows) {
    const pads = new Array<number>(target - row.length).fill(padId);
    const zeros = new Array<number>(target - row.length).fill(0);
    const ones = new Array<number>(row.length).fill(1);
    ids.push(side === 'left' ? [...pads, ...row] : [...row, ...pads]);
    attentionMask.push(side === 'left' ? [...zeros, ...ones] : [...ones, ...zeros]);
  }
  return { ids, attentionMask, lengths: rows.map((row) => row.length) };
}
