/**
 * The demo's runs over several seeds, as numbers: per run name, its per-seed final and peak gold win
 * rate, proxy reward, KL, summed learning rate and trajectory verdict, with the mean and interval
 * over seeds; and the over-optimisation curves of Gao et al. 2023 (gold and proxy gain against
 * d = √KL) with their fits. Pure: run records in, JSON-ready values out. The claims read these
 * (claims.ts); the HTML draws them (demo-html.ts).
 */
import type { RunRecord } from '../runs/run-reader.ts';
import { fitGao, type GaoFit, type GaoPoint } from './overoptimisation-fit.ts';
import { metricSeries } from './series.ts';
import { type Interval, logitTInterval, tInterval } from './stats.ts';
import { summarizeRun, type TrajectoryKind, trajectoryOf } from './verdict.ts';

/** Confidence level of every interval of the multi-seed report. */
export const LEVEL = 0.95;

export interface SeedRuns {
  seed: number;
  runs: RunRecord[];
}

/** One run of one seed. */
export interface SeedRunSummary {
  seed: number;
  finalWinRate: number | null;
  peakWinRate: number | null;
  /** Peak − final gold win rate over the run's evaluations (offline runs: every half epoch). */
  goldDrop: number | null;
  finalProxyReward: number | null;
  finalKl: number | null;
  /** Σ learning rate over the steps (online runs). */
  summedLr: number | null;
  /** Online runs: the trajectory verdict (TRAJECTORY_RULE); offline runs: null. */
  verdict: TrajectoryKind | null;
}

/** One run name across seeds. */
export interface RunAcrossSeeds {
  name: string;
  kind: string;
  algorithm: string | null;
  regularizer: string | null;
  coef: number | null;
  lr: number | null;
  /** The lab's arm label (kl, maxent-low-rate, entropy-dose) or null. */
  arm: string | null;
  perSeed: SeedRunSummary[];
  /** Win rates: logit-transformed Student-t intervals (they stay in [0, 1]). */
  finalWinRate: Interval | null;
  peakWinRate: Interval | null;
  goldDrop: Interval | null;
  finalProxyReward: Interval | null;
  finalKl: Interval | null;
  summedLr: number | null;
  verdicts: Partial<Record<TrajectoryKind, number>>;
}

export const num = (x: unknown): number | null => (typeof x === 'number' ? x : null);
export const str = (x: unknown): string | null => (typeof x === 'string' ? x : null);

const finite = (xs: (number | null)[]) => xs.filter((x): x is number => x !== null && Number.isFinite(x));

/** Mean and Student-t interval over seeds (null with no value). */
export function intervalOf(xs: (number | null)[]): Interval | null {
  const v = finite(xs);
  return v.length === 0 ? null : tInterval(v, LEVEL);
}

/** Mean and logit-t interval of proportions over seeds (null with no value). */
export function proportionIntervalOf(xs: (number | null)[]): Interval | null {
  const v = finite(xs);
  return v.length === 0 ? null : logitTInterval(v, LEVEL);
}

/** Peak − final gold win rate of any run with gold evaluations. */
export function goldDropOf(run: RunRecord): number | null {
  const s = summarizeRun(run);
  return s.peakWinRate === null || s.finalWinRate === null ? null : s.peakWinRate - s.finalWinRate;
}

/** The per-seed view of each run name, in order of first appearance. */
export function runsAcrossSeeds(seeds: readonly SeedRuns[]): RunAcrossSeeds[] {
  const byName = new Map<string, { run: RunRecord; seed: number }[]>();
  for (const s of seeds)
    for (const run of s.runs) byName.set(run.name, [...(byName.get(run.name) ?? []), { run, seed: s.seed }]);
  return [...byName.entries()].map(([name, rs]) => {
    const perSeed = rs.map(({ run, seed }): SeedRunSummary => {
      const s = summarizeRun(run);
      const t = run.kind === 'rl' ? trajectoryOf(run) : null;
      return {
        seed,
        finalWinRate: s.finalWinRate,
        peakWinRate: s.peakWinRate,
        goldDrop: goldDropOf(run),
        finalProxyReward: s.finalProxyReward,
        finalKl: s.finalKl,
        summedLr: t?.summedLr ?? null,
        verdict: t?.kind ?? null,
      };
    });
    const verdicts: Partial<Record<TrajectoryKind, number>> = {};
    for (const p of perSeed) if (p.verdict) verdicts[p.verdict] = (verdicts[p.verdict] ?? 0) + 1;
    const first = rs[0]!.run;
    const lrs = finite(perSeed.map((p) => p.summedLr));
    return {
      name,
      kind: first.kind,
      algorithm: str(first.labels.algorithm),
      regularizer: str(first.labels.regularizer),
      coef: num(first.labels.coef),
      lr: num(first.labels.lr),
      arm: str(first.labels.arm),
      perSeed,
      finalWinRate: proportionIntervalOf(perSeed.map((p) => p.finalWinRate)),
      peakWinRate: proportionIntervalOf(perSeed.map((p) => p.peakWinRate)),
      goldDrop: intervalOf(perSeed.map((p) => p.goldDrop)),
      finalProxyReward: intervalOf(perSeed.map((p) => p.finalProxyReward)),
      finalKl: intervalOf(perSeed.map((p) => p.finalKl)),
      summedLr: lrs.length ? lrs.reduce((a, b) => a + b, 0) / lrs.length : null,
      verdicts,
    };
  });
}

/** One over-optimisation curve: a run (one seed) or best-of-n. */
export interface GaoCurve {
  seed: number;
  run: string;
  method: string;
  points: { d: number; kl: number; gold: number; proxy: number }[];
}

/** Why a fit is not to be read as the paper's law. */
export type GaoFitFlag = 'ok' | 'poor fit' | 'sign-violating';

export interface GaoMethodFit {
  method: string;
  form: 'rl' | 'bon';
  gold: GaoFit | null;
  proxy: GaoFit | null;
  /** The range of d the fits saw: curves are drawn over it only. */
  dMin: number;
  dMax: number;
  /** ok; poor fit (R² below {@link GAO_MIN_R2}); sign-violating (α ≤ 0 or β < 0: no rise-then-fall). */
  goldFlag: GaoFitFlag;
  proxyFlag: GaoFitFlag;
  /** Why a fit is missing, when one is. */
  note?: string;
}

/** A Gao fit explaining less than this share of the variance is marked as poor. */
export const GAO_MIN_R2 = 0.5;

export function flagFit(f: GaoFit | null): GaoFitFlag {
  if (!f || !Number.isFinite(f.r2)) return 'poor fit';
  if (f.alpha <= 0 || f.beta < 0) return 'sign-violating';
  return f.r2 < GAO_MIN_R2 ? 'poor fit' : 'ok';
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

/**
 * Gold and proxy gain over the initial policy against d = √KL. Online runs: at each gold evaluation,
 * KL is the mean of `objective/kl` over the training steps since the previous evaluation (0 at the
 * start), clamped at 0 (the per-batch estimate is noisy). Best-of-n: KL = log n − (n−1)/n.
 */
export function overoptimisationCurves(seeds: readonly SeedRuns[]): GaoCurve[] {
  const curves: GaoCurve[] = [];
  for (const s of seeds)
    for (const run of s.runs) {
      if (run.kind === 'rl') {
        const win = metricSeries(run.metrics, 'eval/win_rate');
        const proxy = new Map(metricSeries(run.metrics, 'eval/proxy_reward').map((p) => [p.step, p.value]));
        const kl = metricSeries(run.metrics, 'objective/kl');
        if (win.length === 0) continue;
        const w0 = win[0]!;
        const p0 = proxy.get(w0.step) ?? 0;
        let prev = Number.NEGATIVE_INFINITY;
        const points = win.map((w) => {
          const window = kl.filter((k) => k.step > prev && k.step <= w.step).map((k) => k.value);
          prev = w.step;
          const klMean = w.step === w0.step || window.length === 0 ? 0 : Math.max(0, mean(window));
          return {
            d: Math.sqrt(klMean),
            kl: klMean,
            gold: w.value - w0.value,
            proxy: (proxy.get(w.step) ?? p0) - p0,
          };
        });
        curves.push({ seed: s.seed, run: run.name, method: methodOf(run), points });
      } else if (run.kind === 'bon') {
        const win = metricSeries(run.metrics, 'eval/win_rate');
        const klA = new Map(metricSeries(run.metrics, 'objective/kl_analytic').map((p) => [p.step, p.value]));
        const proxy = new Map(metricSeries(run.metrics, 'objective/scores').map((p) => [p.step, p.value]));
        const base = win.find((w) => w.step === 1);
        if (!base) continue;
        const p1 = proxy.get(1) ?? 0;
        const points = win.map((w) => {
          const k = klA.get(w.step) ?? 0;
          return {
            d: Math.sqrt(k),
            kl: k,
            gold: w.value - base.value,
            proxy: (proxy.get(w.step) ?? p1) - p1,
          };
        });
        curves.push({ seed: s.seed, run: run.name, method: 'best-of-n', points });
      }
    }
  return curves;
}

/** The curve's method: best-of-n, or the online run's algorithm and regulariser (one fit per learning rate). */
export function methodOf(run: RunRecord): string {
  const alg = str(run.labels.algorithm) ?? 'rl';
  const reg =
    run.labels.regularizer === 'entropy'
      ? `MaxEnt α=${run.labels.coef}`
      : run.labels.regularizer === 'kl'
        ? `KL β=${run.labels.coef}`
        : 'no regulariser';
  return `${alg.toUpperCase()} ${reg} lr=${run.labels.lr}`;
}

/** Pooled over seeds, one fit per method: RL form for online runs, best-of-n form for best-of-n. */
export function fitCurves(curves: readonly GaoCurve[]): GaoMethodFit[] {
  const methods = [...new Set(curves.map((c) => c.method))];
  return methods.map((method) => {
    const form = method === 'best-of-n' ? 'bon' : 'rl';
    const pts = curves.filter((c) => c.method === method).flatMap((c) => c.points);
    const fitOf = (key: 'gold' | 'proxy'): GaoFit | null => {
      const ps: GaoPoint[] = pts.map((p) => ({ d: p.d, r: p[key] }));
      try {
        return fitGao(form, ps);
      } catch {
        return null;
      }
    };
    const gold = fitOf('gold');
    const proxy = fitOf('proxy');
    const ds = pts.map((p) => p.d);
    const range = { dMin: Math.min(...ds), dMax: Math.max(...ds) };
    const flags = { goldFlag: flagFit(gold), proxyFlag: flagFit(proxy) };
    return gold && proxy
      ? { method, form, gold, proxy, ...range, ...flags }
      : {
          method,
          form,
          gold,
          proxy,
          ...range,
          ...flags,
          note: 'too few distinct d > 0 to fit two coefficients',
        };
  });
}
