/**
 * The demo over several seeds: per run, the mean and 95 % Student-t interval over seeds of its final
 * and peak gold win rate, proxy reward and KL, with its per-seed verdicts; the lab's design targets
 * (issue 11) and the paper's six claims, each decided from per-seed verdicts by a stated rule; and the
 * over-optimisation curves of Gao et al. 2023 (gold and proxy gain against d = √KL) with their fits.
 * Pure: run records in, a JSON-ready summary out (written as summary.json beside report.html).
 */
import { fitGao, type GaoFit, type GaoPoint } from '../../report/overoptimisation-fit.ts';
import { metricSeries } from '../../report/series.ts';
import { type Correlation, type Interval, pearson, tInterval } from '../../report/stats.ts';
import { summarizeRun, type VerdictKind, verdictOf } from '../../report/verdict.ts';
import type { RunRecord } from '../../runs/run-reader.ts';
import type { CheckRow } from '../../theory/index.ts';

/** What the rules compare against (issue 11, item 2). */
export const DEMO_TARGETS = {
  /** KL-regularised runs: final win rate at least SFT + this… */
  klGainOverSft: 0.15,
  /** …and within this of their own peak. */
  klPeakTolerance: 0.05,
  /** DPO and SimPO: win rate at least SFT + this. */
  offlineGainOverSft: 0.1,
  /** An ablation "hurts" SimPO when its win rate is at least this much below SimPO's. */
  ablationDrop: 0.05,
  /** Confidence level of every interval. */
  level: 0.95,
} as const;

/** A claim or target holds when it holds in strictly more than this fraction of the seeds. */
export const SEED_MAJORITY = 0.5;

export interface SeedRuns {
  seed: number;
  runs: RunRecord[];
}

/** One run of one seed. */
export interface SeedRunSummary {
  seed: number;
  finalWinRate: number | null;
  peakWinRate: number | null;
  finalProxyReward: number | null;
  finalKl: number | null;
  /** Online runs: the over-optimisation verdict; offline runs: null. */
  verdict: VerdictKind | null;
}

/** One run name across seeds. */
export interface RunAcrossSeeds {
  name: string;
  kind: string;
  algorithm: string | null;
  regularizer: string | null;
  coef: number | null;
  lr: number | null;
  perSeed: SeedRunSummary[];
  finalWinRate: Interval | null;
  peakWinRate: Interval | null;
  finalProxyReward: Interval | null;
  finalKl: Interval | null;
  verdicts: Partial<Record<VerdictKind, number>>;
}

export type ClaimVerdict = 'supported' | 'not supported' | 'not tested';

export interface SeedClaim {
  id: string;
  statement: string;
  /** The rule that turns measurements into the verdict, in words. */
  rule: string;
  verdict: ClaimVerdict;
  /** Seeds in which the per-seed rule held, of those tested (absent for claims not decided per seed). */
  seedsHolding?: number;
  seedsTested?: number;
  perSeed?: { seed: number; holds: boolean; note: string }[];
  /** Intervals (over seeds) of the quantities the rule reads. */
  intervals: Record<string, Interval>;
  correlation?: Correlation;
  summary: string;
}

/** One over-optimisation curve: a run (one seed) or best-of-n. */
export interface GaoCurve {
  seed: number;
  run: string;
  method: string;
  points: { d: number; kl: number; gold: number; proxy: number }[];
}

export interface GaoMethodFit {
  method: string;
  form: 'rl' | 'bon';
  gold: GaoFit | null;
  proxy: GaoFit | null;
  /** Why a fit is missing, when one is. */
  note?: string;
}

export interface DemoSummary {
  seeds: number[];
  level: number;
  rule: string;
  sft: { winRate: Interval | null; perSeed: { seed: number; winRate: number | null }[] };
  oracle: { winRate: Interval | null; perSeed: { seed: number; winRate: number }[] };
  runs: RunAcrossSeeds[];
  targets: SeedClaim[];
  claims: SeedClaim[];
  overoptimisation: { curves: GaoCurve[]; fits: GaoMethodFit[] };
}

const interval = (xs: (number | null)[]): Interval | null => {
  const v = xs.filter((x): x is number => x !== null && Number.isFinite(x));
  return v.length === 0 ? null : tInterval(v, DEMO_TARGETS.level);
};

const num = (x: unknown): number | null => (typeof x === 'number' ? x : null);
const str = (x: unknown): string | null => (typeof x === 'string' ? x : null);

/** The per-seed view of each run name, in order of first appearance. */
export function runsAcrossSeeds(seeds: readonly SeedRuns[]): RunAcrossSeeds[] {
  const byName = new Map<string, { run: RunRecord; seed: number }[]>();
  for (const s of seeds)
    for (const run of s.runs) byName.set(run.name, [...(byName.get(run.name) ?? []), { run, seed: s.seed }]);
  return [...byName.entries()].map(([name, rs]) => {
    const perSeed = rs.map(({ run, seed }) => {
      const s = summarizeRun(run);
      return {
        seed,
        finalWinRate: s.finalWinRate,
        peakWinRate: s.peakWinRate,
        finalProxyReward: s.finalProxyReward,
        finalKl: s.finalKl,
        verdict: run.kind === 'rl' ? verdictOf(run).kind : null,
      };
    });
    const verdicts: Partial<Record<VerdictKind, number>> = {};
    for (const p of perSeed) if (p.verdict) verdicts[p.verdict] = (verdicts[p.verdict] ?? 0) + 1;
    const first = rs[0]!.run;
    return {
      name,
      kind: first.kind,
      algorithm: str(first.labels.algorithm),
      regularizer: str(first.labels.regularizer),
      coef: num(first.labels.coef),
      lr: num(first.labels.lr),
      perSeed,
      finalWinRate: interval(perSeed.map((p) => p.finalWinRate)),
      peakWinRate: interval(perSeed.map((p) => p.peakWinRate)),
      finalProxyReward: interval(perSeed.map((p) => p.finalProxyReward)),
      finalKl: interval(perSeed.map((p) => p.finalKl)),
      verdicts,
    };
  });
}

/** Whether a rule holding in `holding` of `tested` seeds carries the claim. */
function majority(holding: number, tested: number): ClaimVerdict {
  if (tested === 0) return 'not tested';
  return holding / tested > SEED_MAJORITY ? 'supported' : 'not supported';
}

interface SeedView {
  seed: number;
  byName: Map<string, RunRecord>;
  online: RunRecord[];
  sftWin: number | null;
}

const winOf = (r: RunRecord | undefined) => (r ? summarizeRun(r).finalWinRate : null);
const fmt = (x: number | null | undefined, d = 3) => (x === null || x === undefined ? 'n/a' : x.toFixed(d));
const fmtInterval = (i: Interval | undefined | null) =>
  !i ? 'n/a' : i.low === null ? fmt(i.mean) : `${fmt(i.mean)} [${fmt(i.low)}, ${fmt(i.high)}]`;

/** A per-seed rule over the seeds, turned into a claim. */
function perSeedClaim(
  base: { id: string; statement: string; rule: string },
  views: readonly SeedView[],
  test: (v: SeedView) => { holds: boolean; note: string; values?: Record<string, number | null> } | null,
): SeedClaim {
  const perSeed: { seed: number; holds: boolean; note: string }[] = [];
  const values = new Map<string, (number | null)[]>();
  for (const v of views) {
    const r = test(v);
    if (!r) continue;
    perSeed.push({ seed: v.seed, holds: r.holds, note: r.note });
    for (const [k, x] of Object.entries(r.values ?? {})) values.set(k, [...(values.get(k) ?? []), x]);
  }
  const holding = perSeed.filter((p) => p.holds).length;
  const intervals: Record<string, Interval> = {};
  for (const [k, xs] of values) {
    const i = interval(xs);
    if (i) intervals[k] = i;
  }
  const verdict = majority(holding, perSeed.length);
  const ivText = Object.entries(intervals)
    .map(([k, i]) => `${k} ${fmtInterval(i)}`)
    .join('; ');
  return {
    ...base,
    verdict,
    seedsHolding: holding,
    seedsTested: perSeed.length,
    perSeed,
    intervals,
    summary: `${verdict}: holds in ${holding} of ${perSeed.length} seed(s)${ivText ? ` (${ivText})` : ''}.`,
  };
}

const isKl = (r: RunRecord) => r.kind === 'rl' && r.labels.regularizer === 'kl';
const isMaxEnt = (r: RunRecord) => r.kind === 'rl' && r.labels.regularizer === 'entropy';
const lrOf = (r: RunRecord) => num(r.labels.lr) ?? Number.NaN;

function seedViews(seeds: readonly SeedRuns[]): SeedView[] {
  return seeds.map((s) => {
    const byName = new Map(s.runs.map((r) => [r.name, r]));
    return {
      seed: s.seed,
      byName,
      online: s.runs.filter((r) => r.kind === 'rl'),
      sftWin: winOf(byName.get('sft')),
    };
  });
}

/** The design targets of issue 11, item 2 (what the lab must be able to show). */
export function designTargets(seeds: readonly SeedRuns[]): SeedClaim[] {
  const views = seedViews(seeds);
  const t = DEMO_TARGETS;
  const kl = perSeedClaim(
    {
      id: 'kl-gains-and-holds',
      statement: 'KL-regularised RLHF (RLOO and PPO) at the default β ends well above SFT, near its own peak',
      rule: `per seed: every KL-regularised run's final gold win rate ≥ SFT + ${t.klGainOverSft} and ≥ its peak − ${t.klPeakTolerance}`,
    },
    views,
    (v) => {
      const runs = v.online.filter(isKl);
      if (runs.length === 0 || v.sftWin === null) return null;
      const s = runs.map((r) => ({ r, s: summarizeRun(r) }));
      const ok = s.map(
        ({ s }) =>
          s.finalWinRate !== null &&
          s.peakWinRate !== null &&
          s.finalWinRate >= v.sftWin! + t.klGainOverSft &&
          s.finalWinRate >= s.peakWinRate - t.klPeakTolerance,
      );
      return {
        holds: ok.every(Boolean),
        note: s
          .map(({ r, s }, i) => `${r.name} ${fmt(s.peakWinRate)}→${fmt(s.finalWinRate)}${ok[i] ? '' : ' ✗'}`)
          .join(', '),
        values: {
          'min final − SFT': Math.min(...s.map(({ s }) => (s.finalWinRate ?? Number.NaN) - v.sftWin!)),
        },
      };
    },
  );
  const maxentHigh = perSeedClaim(
    {
      id: 'maxent-high-lr-over-optimises',
      statement:
        'MaxEnt RLHF at the higher learning rate rises, then falls from its peak while the proxy rises',
      rule: 'per seed: every MaxEnt run at the largest learning rate is over-optimised (gold ≥ 0.15 under its peak, or below the floor, while the proxy rose) after rising above its first evaluation',
    },
    views,
    (v) => {
      const runs = v.online.filter(isMaxEnt);
      if (runs.length === 0) return null;
      const top = Math.max(...runs.map(lrOf));
      const high = runs.filter((r) => lrOf(r) === top);
      const verdicts = high.map((r) => verdictOf(r));
      const ok = verdicts.map(
        (x) => x.kind === 'over-optimised' && x.peakWinRate !== null && x.peakWinRate > (x.firstWinRate ?? 0),
      );
      return {
        holds: ok.every(Boolean),
        note: high
          .map(
            (r, i) =>
              `${r.name} ${fmt(verdicts[i]!.peakWinRate)}→${fmt(verdicts[i]!.finalWinRate)} ${verdicts[i]!.kind}`,
          )
          .join(', '),
        values: {
          'mean drop from peak': mean(verdicts.map((x) => (x.peakWinRate ?? 0) - (x.finalWinRate ?? 0))),
        },
      };
    },
  );
  const offline = perSeedClaim(
    {
      id: 'offline-gains',
      statement: 'DPO and SimPO (its own defaults) beat SFT',
      rule: `per seed: DPO's and SimPO's gold win rates ≥ SFT + ${t.offlineGainOverSft}`,
    },
    views,
    (v) => {
      const dpo = winOf(v.byName.get('dpo'));
      const simpo = winOf(v.byName.get('simpo'));
      if (dpo === null || simpo === null || v.sftWin === null) return null;
      return {
        holds: dpo >= v.sftWin + t.offlineGainOverSft && simpo >= v.sftWin + t.offlineGainOverSft,
        note: `SFT ${fmt(v.sftWin)}, DPO ${fmt(dpo)}, SimPO ${fmt(simpo)}`,
        values: { 'DPO − SFT': dpo - v.sftWin, 'SimPO − SFT': simpo - v.sftWin },
      };
    },
  );
  return [kl, maxentHigh, offline];
}

/** The paper's six claims. `theory` is the theory module's table (claim 6); null: not tested. */
export function paperClaimsOverSeeds(
  seeds: readonly SeedRuns[],
  theory: readonly CheckRow[] | null,
): SeedClaim[] {
  const views = seedViews(seeds);
  const t = DEMO_TARGETS;
  const c1 = perSeedClaim(
    {
      id: 'maxent-over-optimises-low-lr',
      statement: '(1) Online MaxEnt RLHF over-optimises, with unstable KL, even at low learning rates',
      rule: "per seed: every MaxEnt run at the smallest learning rate is over-optimised, and its final KL(π‖π_ref) exceeds the KL-regularised RLOO run's at that rate",
    },
    views,
    (v) => {
      const runs = v.online.filter(isMaxEnt);
      if (runs.length === 0) return null;
      const low = Math.min(...runs.map(lrOf));
      const at = runs.filter((r) => lrOf(r) === low);
      const klRun = v.online.find((r) => isKl(r) && r.labels.algorithm === 'rloo' && lrOf(r) === low);
      const klFinal = klRun ? summarizeRun(klRun).finalKl : null;
      const ok = at.map((r) => {
        const kind = verdictOf(r).kind;
        const k = summarizeRun(r).finalKl;
        return kind === 'over-optimised' && k !== null && (klFinal === null || k > klFinal);
      });
      return {
        holds: ok.every(Boolean),
        note: at
          .map((r) => `${r.name} ${verdictOf(r).kind}, KL ${fmt(summarizeRun(r).finalKl, 2)}`)
          .concat(klRun ? [`${klRun.name} KL ${fmt(klFinal, 2)}`] : [])
          .join(', '),
        values: {
          'MaxEnt drop from peak': mean(
            at.map((r) => {
              const s = summarizeRun(r);
              return (s.peakWinRate ?? 0) - (s.finalWinRate ?? 0);
            }),
          ),
          'MaxEnt final KL': mean(at.map((r) => summarizeRun(r).finalKl ?? Number.NaN)),
          'KL-run final KL': klFinal,
        },
      };
    },
  );
  const c2 = perSeedClaim(
    {
      id: 'kl-stable-high-win',
      statement: '(2) KL-regularised RLHF stays stable with high win rates',
      rule: `per seed: every KL-regularised run (RLOO and PPO) is stable and ends ≥ SFT + ${t.klGainOverSft}`,
    },
    views,
    (v) => {
      const runs = v.online.filter(isKl);
      if (runs.length === 0 || v.sftWin === null) return null;
      const ok = runs.map(
        (r) =>
          verdictOf(r).kind === 'stable' &&
          (summarizeRun(r).finalWinRate ?? -1) >= v.sftWin! + t.klGainOverSft,
      );
      return {
        holds: ok.every(Boolean),
        note: runs
          .map((r) => `${r.name} ${verdictOf(r).kind}, final ${fmt(summarizeRun(r).finalWinRate)}`)
          .join(', '),
        values: { 'mean final win rate': mean(runs.map((r) => summarizeRun(r).finalWinRate ?? Number.NaN)) },
      };
    },
  );
  const c3 = perSeedClaim(
    {
      id: 'simpo-strong-offline',
      statement: '(3) SimPO is strong offline',
      rule: `per seed: SimPO's gold win rate ≥ SFT + ${t.offlineGainOverSft}`,
    },
    views,
    (v) => {
      const simpo = winOf(v.byName.get('simpo'));
      if (simpo === null || v.sftWin === null) return null;
      const dpo = winOf(v.byName.get('dpo'));
      return {
        holds: simpo >= v.sftWin + t.offlineGainOverSft,
        note: `SimPO ${fmt(simpo)} vs SFT ${fmt(v.sftWin)}${dpo === null ? '' : `, DPO ${fmt(dpo)}`}`,
        values: { 'SimPO win rate': simpo, 'SimPO − SFT': simpo - v.sftWin },
      };
    },
  );
  const c4 = perSeedClaim(
    {
      id: 'simpo-stabilisers',
      statement: "(4) SimPO's stability comes from its target margin and length normalisation (ablations)",
      rule: `per seed: SimPO with γ = 0 and SimPO without length normalisation each end ≥ ${t.ablationDrop} below SimPO's gold win rate`,
    },
    views,
    (v) => {
      const simpo = winOf(v.byName.get('simpo'));
      const g0 = winOf(v.byName.get('simpo-gamma0'));
      const noLen = winOf(v.byName.get('simpo-no-length-norm'));
      if (simpo === null || g0 === null || noLen === null) return null;
      return {
        holds: simpo - g0 >= t.ablationDrop && simpo - noLen >= t.ablationDrop,
        note: `SimPO ${fmt(simpo)}, γ = 0 ${fmt(g0)}, no length normalisation ${fmt(noLen)}`,
        values: { 'SimPO − (γ = 0)': simpo - g0, 'SimPO − (no length norm.)': simpo - noLen },
      };
    },
  );
  // (5) Across every online run of every seed: entropy coefficient (0 for KL runs) against the gold drop.
  const pts = views.flatMap((v) =>
    v.online.map((r) => {
      const s = summarizeRun(r);
      const alpha = isMaxEnt(r) ? (num(r.labels.coef) ?? 0) : 0;
      return { alpha, drop: (s.peakWinRate ?? Number.NaN) - (s.finalWinRate ?? Number.NaN) };
    }),
  );
  const valid = pts.filter((p) => Number.isFinite(p.drop));
  let c5: SeedClaim;
  const c5base = {
    id: 'entropy-correlates',
    statement: '(5) Entropy (the bonus α) correlates with over-optimisation',
    rule: `across all online runs of all seeds: Pearson r of α (0 for KL runs) and the gold drop (peak − final) has a ${100 * t.level} % Fisher-z interval above 0`,
  };
  const alphas = new Set(valid.map((p) => p.alpha));
  const drops = new Set(valid.map((p) => p.drop));
  if (valid.length < 4 || alphas.size < 2 || drops.size < 2) {
    c5 = {
      ...c5base,
      verdict: 'not tested',
      intervals: {},
      summary: `not tested: ${valid.length} online run(s) with ${alphas.size} distinct α.`,
    };
  } else {
    const corr = pearson(
      valid.map((p) => p.alpha),
      valid.map((p) => p.drop),
      t.level,
    );
    const verdict: ClaimVerdict = corr.low !== null && corr.low > 0 ? 'supported' : 'not supported';
    c5 = {
      ...c5base,
      verdict,
      correlation: corr,
      intervals: {},
      summary: `${verdict}: r = ${fmt(corr.r)} [${fmt(corr.low)}, ${fmt(corr.high)}] over ${corr.n} runs.`,
    };
  }
  const c6base = {
    id: 'theorem1-equal-lengths',
    statement: '(6) Theorem 1 (SimPO ≡ MaxEnt) holds only for equal lengths and γ = 0',
    rule: 'the theory module: every Theorem-1 row passes (rows that must hold hold; rows with unequal lengths or γ > 0 deviate)',
  };
  let c6: SeedClaim;
  const t1 = (theory ?? []).filter((r) => r.id.startsWith('T1'));
  if (t1.length === 0)
    c6 = { ...c6base, verdict: 'not tested', intervals: {}, summary: 'not tested: no Theorem-1 rows.' };
  else {
    const passing = t1.filter((r) => r.pass).length;
    const verdict: ClaimVerdict = passing === t1.length ? 'supported' : 'not supported';
    c6 = {
      ...c6base,
      verdict,
      intervals: {},
      summary: `${verdict}: ${passing} of ${t1.length} Theorem-1 rows pass (${t1.map((r) => `${r.id} ${r.expectation} ${r.pass ? '✓' : '✗'}`).join(', ')}).`,
    };
  }
  return [c1, c2, c3, c4, c5, c6];
}

function mean(xs: number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

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
function methodOf(run: RunRecord): string {
  const alg = str(run.labels.algorithm) ?? 'rl';
  const reg =
    run.labels.regularizer === 'entropy' ? `MaxEnt α=${run.labels.coef}` : `KL β=${run.labels.coef}`;
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
    return gold && proxy
      ? { method, form, gold, proxy }
      : { method, form, gold, proxy, note: 'too few distinct d > 0 to fit two coefficients' };
  });
}

/** The whole multi-seed summary. `oracle` is the task's oracle win rate per seed. */
export function summarizeSeeds(
  seeds: readonly SeedRuns[],
  oracle: readonly { seed: number; winRate: number }[],
  theory: readonly CheckRow[] | null,
): DemoSummary {
  const curves = overoptimisationCurves(seeds);
  const sftPerSeed = seeds.map((s) => ({
    seed: s.seed,
    winRate: winOf(s.runs.find((r) => r.name === 'sft')),
  }));
  return {
    seeds: seeds.map((s) => s.seed),
    level: DEMO_TARGETS.level,
    rule: `each claim or target is decided per seed by its rule; it is supported when it holds in more than ${100 * SEED_MAJORITY} % of the seeds (2 of 3). Intervals: mean ± t_{0.975, n−1}·s/√n over seeds.`,
    sft: { winRate: interval(sftPerSeed.map((s) => s.winRate)), perSeed: sftPerSeed },
    oracle: { winRate: interval(oracle.map((o) => o.winRate)), perSeed: [...oracle] },
    runs: runsAcrossSeeds(seeds),
    targets: designTargets(seeds),
    claims: paperClaimsOverSeeds(seeds, theory),
    overoptimisation: { curves, fits: fitCurves(curves) },
  };
}
