/** Extracting one metric's curve from a run's metric lines (missing keys are absent, not zero). */
import type { MetricLine } from '../runs/run-reader.ts';

/** One point of a metric curve. */
export interface SeriesPoint {
  step: number;
  value: number;
}

/** The points of `metric` in line order; the x value is `step`, or the line index when a line has none. */
export function metricSeries(lines: MetricLine[], metric: string): SeriesPoint[] {
  const points: SeriesPoint[] = [];
  lines.forEach((line, index) => {
    const value = line[metric];
    if (value !== undefined) points.push({ step: line.step ?? index, value });
  });
  return points;
}

/** The first metric among `candidates` that the lines contain, with its curve; null when none does. */
export function firstPresentSeries(
  lines: MetricLine[],
  candidates: readonly string[],
): { metric: string; points: SeriesPoint[] } | null {
  for (const metric of candidates) {
    const points = metricSeries(lines, metric);
    if (points.length > 0) return { metric, points };
  }
  return null;
}

/** Last value of a curve, or null when empty. */
export function lastValue(points: readonly SeriesPoint[]): number | null {
  return points.at(-1)?.value ?? null;
}

/** Largest value of a curve, or null when empty. */
export function maxValue(points: readonly SeriesPoint[]): number | null {
  if (points.length === 0) return null;
  return points.reduce((best, p) => Math.max(best, p.value), Number.NEGATIVE_INFINITY);
}

/** Final value of `metric` in the lines, or null when it never appears. */
export function finalMetric(lines: MetricLine[], metric: string): number | null {
  for (let i = lines.length - 1; i >= 0; i--) {
    const value = lines[i]?.[metric];
    if (value !== undefined) return value;
  }
  return null;
}
