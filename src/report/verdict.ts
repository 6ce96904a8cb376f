/**
 * Computed verdicts on runs: did a run over-optimise its proxy reward model (proxy reward up while
 * the gold win rate falls), and what does that say about the paper's claims?
 * Everything is derived from the metrics; thresholds are named, documented and overridable.
 */
import type { RunRecord } from '../runs/run-reader.ts';
import { fmt } from './format.ts';
import {
  finalMetric,
  firstPresentSeries,
  lastValue,
  maxValue,
  metricSeries,
  type SeriesPoint,
} from './series.ts';
import { olsSlope } from './stats.ts';

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

/**
 * The trajectory rule of the online runs, fixed before the demo's results were seen (issue 22) and
 * printed in the report: a run is over-optimised when
 *   (a) its gold win rate ends at least `goldDrop` below its peak, and
 *   (b) its final proxy reward (at the last gold evaluation) is above the proxy reward at the gold
 *       peak — the proxy kept rising while the gold fell, and
 *   (c) KL(π‖π_ref) is still rising over the last `klWindow` of the training steps: the least-squares
 *       slope of objective/kl against the step has a 95 % interval above 0 (no fixed point).
 * A run whose gold fell as far without (b) and (c) "fell" (a collapse or a drift that the proxy
 * did not reward); every other run is stable.
 */
export const TRAJECTORY_RULE = {
  goldDrop: 0.15,
  klWindow: 1 / 3,
  level: 0.95,
  minEvaluations: 3,
} as const;

export const TRAJECTORY_RULE_TEXT =
  `over-optimised when (a) the gold win rate ends ≥ ${TRAJECTORY_RULE.goldDrop} below its peak, (b) the final ` +
  'proxy reward is above the proxy reward at the gold peak, and (c) KL(π‖π_ref) is still rising over the ' +
  'last third of the steps (least-squares slope, 95 % interval above 0); "fell": (a) without (b) and (c); stable otherwise';

export type TrajectoryKind = 'over-optimised' | 'fell' | 'stable' | 'insufficient data';

export interface Trajectory {
  kind: TrajectoryKind;
  evaluations: number;
  peakWinRate: number | null;
  peakStep: number | null;
  finalWinRate: number | null;
  goldDrop: number | null;
  proxyAtPeak: number | null;
  finalProxy: number | null;
  /** Slope of KL(π‖π_ref) per step over the last third, with its interval. */
  klSlope: { slope: number; low: number | null; high: number | null } | null;
  /** Σ of the logged learning rate over the steps (the update budget). */
  summedLr: number | null;
  /** Mean KL(π_t‖π_{t−1}) over the last third of the steps. */
  klPrevLastThird: number | null;
  /** Mean per-token entropy of the rollouts (objective/entropy_exact, else objective/entropy) over the last third. */
  entropyLastThird: number | null;
  conditions: { goldFell: boolean; proxyRose: boolean; klRising: boolean };
}

const lastFraction = (points: readonly SeriesPoint[], fraction: number): SeriesPoint[] => {
  if (points.length === 0) return [];
  const lastStep = points.at(-1)!.step;
  const firstStep = points[0]!.step;
  const from = lastStep - fraction * (lastStep - firstStep);
  return points.filter((p) => p.step >= from);
};

const meanOf = (ps: readonly SeriesPoint[]) =>
  ps.length === 0 ? null : ps.reduce((s, p) => s + p.value, 0) / ps.length;

/** Classifies an online run by {@link TRAJECTORY_RULE}. */
export function trajectoryOf(run: RunRecord): Trajectory {
  const win = metricSeries(run.metrics, VERDICT_METRICS.winRate);
  const proxy = new Map(metricSeries(run.metrics, 'eval/proxy_reward').map((p) => [p.step, p.value]));
  const kl = metricSeries(run.metrics, VERDICT_METRICS.kl);
  const lr = metricSeries(run.metrics, 'lr');
  const klPrev = metricSeries(run.metrics, VERDICT_METRICS.klPrev);
  const exactEntropy = metricSeries(run.metrics, 'objective/entropy_exact');
  const entropy = exactEntropy.length ? exactEntropy : metricSeries(run.metrics, VERDICT_METRICS.entropy);
  let peak: SeriesPoint | null = null;
  for (const p of win) if (!peak || p.value > peak.value) peak = p;
  const final = win.at(-1) ?? null;
  const tail = lastFraction(kl, TRAJECTORY_RULE.klWindow);
  let klSlope: Trajectory['klSlope'] = null;
  if (tail.length >= 3 && new Set(tail.map((p) => p.step)).size >= 2) {
    klSlope = olsSlope(
      tail.map((p) => p.step),
      tail.map((p) => p.value),
      TRAJECTORY_RULE.level,
    );
  }
  const proxyAtPeak = peak ? (proxy.get(peak.step) ?? null) : null;
  const finalProxy = final ? (proxy.get(final.step) ?? null) : null;
  const goldDrop = peak && final ? peak.value - final.value : null;
  const conditions = {
    goldFell: goldDrop !== null && goldDrop >= TRAJECTORY_RULE.goldDrop - 1e-12,
    proxyRose: proxyAtPeak !== null && finalProxy !== null && finalProxy > proxyAtPeak,
    klRising: klSlope !== null && klSlope.low !== null && klSlope.low > 0,
  };
  const kind: TrajectoryKind =
    win.length < TRAJECTORY_RULE.minEvaluations
      ? 'insufficient data'
      : conditions.goldFell && conditions.proxyRose && conditions.klRising
        ? 'over-optimised'
        : conditions.goldFell
          ? 'fell'
          : 'stable';
  return {
    kind,
    evaluations: win.length,
    peakWinRate: peak?.value ?? null,
    peakStep: peak?.step ?? null,
    finalWinRate: final?.value ?? null,
    goldDrop,
    proxyAtPeak,
    finalProxy,
    klSlope,
    summedLr: lr.length ? lr.reduce((s, p) => s + p.value, 0) : null,
    klPrevLastThird: meanOf(lastFraction(klPrev, TRAJECTORY_RULE.klWindow)),
    entropyLastThird: meanOf(lastFraction(entropy, TRAJECTORY_RULE.klWindow)),
    conditions,
  };
}
