/**
 * Computed verdicts on runs: did a run over-optimise its proxy reward model (proxy reward up while
 * the gold win rate falls), and what does that say about the paper's claims?
 * Everything is derived from the metrics; thresholds are named, documented and overridable.
 */
import type { RunRecord } from '../runs/run-reader.ts';
import {
  finalMetric,
  firstPresentSeries,
  lastValue,
  maxValue,
  metricSeries,
  type SeriesPoint,
} from './series.ts';

/** Metric names the verdict reads (TRL names, see docs/run-folder.md). */
export const VERDICT_METRICS = {
  winRate: 'eval/win_rate',
  /** Proxy reward, in order of preference: the evaluation's, else the training batch scores. */
  proxyReward: ['eval/proxy_reward', 'objective/scores'],
  kl: 'objective/kl',
  entropy: 'objective/entropy',
  klPrev: 'policy/kl_prev',
} as const;

/** Thresholds of the over-optimisation verdict. */
export interface VerdictThresholds {
  /** Over-optimised when the gold win rate fell from its peak by at least this much (absolute). */
  dropThreshold: number;
  /** Fixed floor: over-optimised when the final win rate is below it. Null: derive from `floorMargin`. */
  floor: number | null;
  /** With no fixed floor, the floor is the first evaluation's win rate minus this margin. */
  floorMargin: number;
  /** Fewer gold evaluations than this ⇒ insufficient data. */
  minEvaluations: number;
  /**
   * The proxy reward "rose" when the mean of its last points exceeds the mean of its first points
   * by more than this (absolute).
   */
  minProxyRise: number;
  /** Fraction of the proxy curve averaged at each end to judge the rise (at least one point). */
  proxyEdgeFraction: number;
}

/** Defaults: a 15-point absolute drop from the peak, or ending 10 points under the first evaluation. */
export const DEFAULT_THRESHOLDS: VerdictThresholds = {
  dropThreshold: 0.15,
  floor: null,
  floorMargin: 0.1,
  minEvaluations: 3,
  minProxyRise: 0,
  proxyEdgeFraction: 0.25,
};

/**
 * over-optimised: proxy reward rose while gold fell (reward hacking); collapsed: gold fell without
 * the proxy rising (e.g. an entropy bonus swamping the reward); stable: gold held.
 */
export type VerdictKind = 'over-optimised' | 'collapsed' | 'stable' | 'insufficient data';

/** A verdict with the numbers it was computed from. */
export interface Verdict {
  kind: VerdictKind;
  /** One plain sentence explaining the verdict. */
  reason: string;
  evaluations: number;
  firstWinRate: number | null;
  peakWinRate: number | null;
  finalWinRate: number | null;
  floor: number | null;
  /** Mean of the proxy's last points minus the mean of its first points. */
  proxyRise: number | null;
  proxyMetric: string | null;
}

/** Mean of the first and last `fraction` of a curve (at least one point each), and their difference. */
export function edgeRise(points: readonly SeriesPoint[], fraction: number): number {
  const k = Math.max(1, Math.floor(points.length * fraction));
  const mean = (ps: readonly SeriesPoint[]) => ps.reduce((s, p) => s + p.value, 0) / ps.length;
  return mean(points.slice(-k)) - mean(points.slice(0, k));
}

/** Classifies one run as over-optimised, collapsed, stable, or insufficient data. */
export function verdictOf(run: RunRecord, overrides: Partial<VerdictThresholds> = {}): Verdict {
  const t = { ...DEFAULT_THRESHOLDS, ...overrides };
  const win = metricSeries(run.metrics, VERDICT_METRICS.winRate);
  const proxy = firstPresentSeries(run.metrics, VERDICT_METRICS.proxyReward);
  const base = {
    evaluations: win.length,
    firstWinRate: win[0]?.value ?? null,
    peakWinRate: maxValue(win),
    finalWinRate: lastValue(win),
    proxyMetric: proxy?.metric ?? null,
  };
  if (win.length < t.minEvaluations) {
    const reason = `${win.length} gold evaluation(s), fewer than the ${t.minEvaluations} needed.`;
    return { kind: 'insufficient data', reason, floor: null, proxyRise: null, ...base };
  }
  if (!proxy) {
    const reason = 'no proxy reward (eval/proxy_reward or objective/scores) was logged.';
    return { kind: 'insufficient data', reason, floor: null, proxyRise: null, ...base };
  }
  const first = base.firstWinRate!;
  const peak = base.peakWinRate!;
  const final = base.finalWinRate!;
  const floor = t.floor ?? first - t.floorMargin;
  const proxyRise = edgeRise(proxy.points, t.proxyEdgeFraction);
  const proxyRose = proxyRise > t.minProxyRise;
  const drop = peak - final;
  const fellFromPeak = drop >= t.dropThreshold;
  const belowFloor = final < floor;
  const degraded = fellFromPeak || belowFloor;
  const kind: VerdictKind = degraded ? (proxyRose ? 'over-optimised' : 'collapsed') : 'stable';
  const reason = explainVerdict({ proxyRose, proxyRise, fellFromPeak, belowFloor, drop, final, floor });
  return { kind, reason, floor, proxyRise, ...base };
}

function explainVerdict(v: {
  proxyRose: boolean;
  proxyRise: number;
  fellFromPeak: boolean;
  belowFloor: boolean;
  drop: number;
  final: number;
  floor: number;
}): string {
  const proxy = `proxy reward ${v.proxyRose ? 'rose' : 'did not rise'} (${signed(v.proxyRise)})`;
  const gold = [
    `win rate ${fmt(v.drop)} under its peak`,
    `final ${fmt(v.final)} ${v.belowFloor ? 'below' : 'not below'} the floor ${fmt(v.floor)}`,
  ].join(', ');
  const degraded = v.fellFromPeak || v.belowFloor;
  if (v.proxyRose && degraded) return `${proxy} while the gold ${gold}.`;
  if (degraded) return `gold ${gold}, but the ${proxy}: a collapse, not reward over-optimisation.`;
  return `${proxy}; gold ${gold}.`;
}

const fmt = (x: number) => x.toFixed(3);
const signed = (x: number) => (x >= 0 ? `+${fmt(x)}` : fmt(x));

/** The numbers a report shows for one run (null where the metric was never logged). */
export interface RunSummary {
  finalWinRate: number | null;
  peakWinRate: number | null;
  finalProxyReward: number | null;
  finalKl: number | null;
  finalEntropy: number | null;
  /** Largest KL(π_t‖π_{t−1}) seen (`policy/kl_prev`). */
  maxKlPrev: number | null;
  evaluations: number;
}

/** Final and peak gold win rate, final proxy reward, KL and entropy, and the largest step-to-step KL. */
export function summarizeRun(run: RunRecord): RunSummary {
  const win = metricSeries(run.metrics, VERDICT_METRICS.winRate);
  const proxy = firstPresentSeries(run.metrics, VERDICT_METRICS.proxyReward);
  return {
    finalWinRate: lastValue(win),
    peakWinRate: maxValue(win),
    finalProxyReward: proxy ? lastValue(proxy.points) : null,
    finalKl: finalMetric(run.metrics, VERDICT_METRICS.kl),
    finalEntropy: finalMetric(run.metrics, VERDICT_METRICS.entropy),
    maxKlPrev: maxValue(metricSeries(run.metrics, VERDICT_METRICS.klPrev)),
    evaluations: win.length,
  };
}
