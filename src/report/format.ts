/** How the report writes numbers and text: the project's `fmt`, one interval format, one HTML escape. */
import { fmt } from '../util/format.ts';
import type { Interval } from './stats.ts';

export { fmt };

/** "mean [low, high]" (the mean alone with one value; '—' with none). */
export function fmtInterval(i: Interval | null | undefined, digits = 3): string {
  if (!i) return '—';
  return i.low === null
    ? fmt(i.mean, digits)
    : `${fmt(i.mean, digits)} [${fmt(i.low, digits)}, ${fmt(i.high, digits)}]`;
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
