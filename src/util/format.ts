/** How numbers are written for people (logs, progress bars, reports): one `fmt`. */

/** A number to `digits` decimals; '—' for null, undefined or a non-finite value. */
export function fmt(x: number | null | undefined, digits = 3): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits);
}
