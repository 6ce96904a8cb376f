/**
 * Fitting token rows to a maximum length: 'left' truncation drops tokens from the start and keeps
 * the end (prompts: the text right before generation matters), 'right' drops from the end and keeps
 * the start. Without a truncation side an over-long row is an error.
 */

/** Which side loses tokens when a row is too long. */
export type TruncationSide = 'left' | 'right';

/** `ids` cut to at most `maxLength` tokens, from `side`. */
export function truncate(ids: readonly number[], maxLength: number, side: TruncationSide): number[] {
  if (ids.length <= maxLength) return [...ids];
  return side === 'left' ? ids.slice(ids.length - maxLength) : ids.slice(0, maxLength);
}

/** Checks that `maxLength` is a positive integer. */
export function assertMaxLength(maxLength: number): void {
  if (!Number.isInteger(maxLength) || maxLength < 1) {
    throw new Error(`maxLength must be a positive integer, got ${maxLength}`);
  }
}

/**
 * Row `index` of a batch fitted to `maxLength`: truncated when `side` is given, otherwise an error
 * naming the batch index and the row's length.
 */
export function fitRow(
  ids: readonly number[],
  index: number,
  maxLength: number | undefined,
  side: TruncationSide | undefined,
): number[] {
  if (maxLength === undefined || ids.length <= maxLength) return [...ids];
  if (side === undefined) {
    throw new Error(
      `text at batch index ${index} has ${ids.length} tokens, more than maxLength ${maxLength} (set truncation to cut it)`,
    );
  }
  return truncate(ids, maxLength, side);
}
