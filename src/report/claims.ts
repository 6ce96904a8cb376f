/**
 * The claim engine, in two forms:
 *   - `paperClaims`: the generic check of `maxent-rlhf report` over any run folder — the paper's two
 *     headline claims ("MaxEnt online RLHF over-optimises (or collapses)", "KL-regularised RLHF stays
 *     stable") against the measured verdicts of the runs at hand, pooled;
 *   - `summarizeSeeds`: the demo over seeds — the lab's design targets and the paper's six claims,
 *     each by a rule fixed before the results were seen (per seed and a majority of seeds, or a
 *     within-seed trend test for the dose–responses), with the runs and curves of seeds.ts.
 * Nothing is assumed: each claim is supported, not supported, or not tested, with its evidence.
 */
import type { RunRecord } from '../runs/run-reader.ts';
import type { CheckRow } from '../theory/index.ts';
import { fmt, fmtInterval } from './format.ts';
import {
  fitCurves,
  type GaoCurve,
  type GaoMethodFit,
  goldDropOf,
  intervalOf,
  LEVEL,
  num,
  overoptimisationCurves,
  proportionIntervalOf,
  type RunAcrossSeeds,
  runsAcrossSeeds,
  type SeedRuns,
} from './seeds.ts';
import { metricSeries } from './series.ts';
import { type Interval, type TrendTest, withinBlockTrend } from './stats.ts';
import {
  DEFAULT_THRESHOLDS,
  summarizeRun,
  TRAJECTORY_RULE,
  TRAJECTORY_RULE_TEXT,
  trajectoryOf,
  type Verdict,
  type VerdictThresholds,
  verdictOf,
} from './verdict.ts';

export type ClaimStatus = 'supported' | 'not supported' | 'not tested';

/** One run's contribution to a claim. */
export interface RunEvidence {
  name: string;
  verdict: Verdict;
}

/** Counts behind a claim: `judged` runs had enough data for a verdict. */
export interface ClaimEvidence {
  runs: number;
  judged: number;
  overOptimised: number;
  collapsed: number;
  stable: number;
  insufficient: number;
  /** Mean over judged runs of the peak and the final gold win rate. */
  meanPeakWinRate: number | null;
  meanFinalWinRate: number | null;
  perRun: RunEvidence[];
}

export interface ClaimCheck {
  id: 'maxent-over-optimises' | 'kl-stays-stable';
  statement: string;
  status: ClaimStatus;
  /** One plain sentence with the numbers. */
  summary: string;
  evidence: ClaimEvidence;
}

/** Options of the claims check. */
export interface ClaimOptions {
  /** Thresholds of the per-run verdicts. */
  verdict: Partial<VerdictThresholds>;
  /**
   * A claim is supported when strictly more than this fraction of the judged runs behave as claimed
   * (over-optimised for MaxEnt, stable for KL). Default 0.5: a majority.
   */
  supportFraction: number;
}

export const DEFAULT_CLAIM_OPTIONS: ClaimOptions = { verdict: {}, supportFraction: 0.5 };

/** Online RL runs with the given regulariser label. */
export function onlineRunsWith(runs: readonly RunRecord[], regularizer: string): RunRecord[] {
  return runs.filter((r) => r.kind === 'rl' && r.labels.regularizer === regularizer);
}

/** Both claims, computed from the runs' verdicts. */
export function paperClaims(runs: readonly RunRecord[], options: Partial<ClaimOptions> = {}): ClaimCheck[] {
  const o = { ...DEFAULT_CLAIM_OPTIONS, ...options };
  const maxent = collectEvidence(onlineRunsWith(runs, 'entropy'), o.verdict);
  const kl = collectEvidence(onlineRunsWith(runs, 'kl'), o.verdict);
  return [
    judgeClaim({
      id: 'maxent-over-optimises',
      statement: 'MaxEnt (regularizer=entropy) runs over-optimise or collapse',
      group: 'MaxEnt runs (kind rl, regularizer entropy)',
      evidence: maxent,
      agreeing: maxent.overOptimised + maxent.collapsed,
      behaviour: 'over-optimised or collapsed',
      supportFraction: o.supportFraction,
      minEvaluations: o.verdict.minEvaluations ?? DEFAULT_THRESHOLDS.minEvaluations,
    }),
    judgeClaim({
      id: 'kl-stays-stable',
      statement: 'KL-regularised runs stay stable',
      group: 'KL-regularised runs (kind rl, regularizer kl)',
      evidence: kl,
      agreeing: kl.stable,
      behaviour: 'stayed stable',
      supportFraction: o.supportFraction,
      minEvaluations: o.verdict.minEvaluations ?? DEFAULT_THRESHOLDS.minEvaluations,
    }),
  ];
}

/** Verdict counts and mean win rates of a group of runs. */
export function collectEvidence(
  runs: readonly RunRecord[],
  thresholds: Partial<VerdictThresholds>,
): ClaimEvidence {
  const perRun = runs.map((run) => ({ name: run.name, verdict: verdictOf(run, thresholds) }));
  const judged = perRun.filter((r) => r.verdict.kind !== 'insufficient data');
  const count = (kind: Verdict['kind']) => perRun.filter((r) => r.verdict.kind === kind).length;
  return {
    runs: runs.length,
    judged: judged.length,
    overOptimised: count('over-optimised'),
    collapsed: count('collapsed'),
    stable: count('stable'),
    insufficient: count('insufficient data'),
    meanPeakWinRate: mean(judged.map((r) => r.verdict.peakWinRate)),
    meanFinalWinRate: mean(judged.map((r) => r.verdict.finalWinRate)),
    perRun,
  };
}

function mean(values: Array<number | null>): number | null {
  const xs = values.filter((v): v is number => v !== null);
  return xs.length === 0 ? null : xs.reduce((s, x) => s + x, 0) / xs.length;
}

interface ClaimInput {
  id: ClaimCheck['id'];
  statement: string;
  group: string;
  evidence: ClaimEvidence;
  /** How many judged runs behave as the claim says. */
  agreeing: number;
  behaviour: string;
  supportFraction: number;
  minEvaluations: number;
}

function judgeClaim(c: ClaimInput): ClaimCheck {
  const { id, statement, evidence: e } = c;
  if (e.judged === 0) {
    const summary =
      `Not tested: no ${c.group} with at least ${c.minEvaluations} gold evaluations ` +
      `(${e.runs} such run(s) found).`;
    return { id, statement, status: 'not tested', summary, evidence: e };
  }
  const supported = c.agreeing / e.judged > c.supportFraction;
  const winRates =
    `mean gold win rate peak ${pct(e.meanPeakWinRate)} → final ${pct(e.meanFinalWinRate)}; ` +
    `${e.overOptimised} over-optimised, ${e.collapsed} collapsed, ${e.stable} stable, ${e.insufficient} with insufficient data`;
  const counted = `${c.agreeing} of ${e.judged} judged ${c.group} ${c.behaviour} (${winRates}).`;
  const summary = supported
    ? `Supported: ${counted}`
    : `Not supported — these runs do not show the paper's effect: only ${counted}`;
  return { id, statement, status: supported ? 'supported' : 'not supported', summary, evidence: e };
}

function pct(x: number | null): string {
  return x === null ? 'n/a' : `${(100 * x).toFixed(1)}%`;
}

// ---------- The demo over seeds: design targets and the paper's six claims ----------

/** What the rules compare against (issue 11, item 2; issue 22). Fixed before results were seen. */
export const DEMO_TARGETS = {
  /** KL-regularised runs: final win rate at least SFT + this… */
  klGainOverSft: 0.15,
  /** …and within this of their own peak. */
  klPeakTolerance: 0.05,
  /** DPO and SimPO: win rate at least SFT + this. */
  offlineGainOverSft: 0.1,
  /** An ablation is "less stable" than SimPO when its peak − final exceeds SimPO's by at least this. */
  ablationInstability: 0.05,
  /** A within-seed trend is significant below this one-sided permutation p-value. */
  trendP: 0.05,
  /** Confidence level of every interval. */
  level: LEVEL,
} as const;

/** A claim or target holds when it holds in strictly more than this fraction of the seeds. */
export const SEED_MAJORITY = 0.5;

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
  /** A within-seed trend test, for the dose–response claims. */
  trend?: TrendTest;
  summary: string;
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

const meanOfAll = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const winOf = (r: RunRecord | undefined) => (r ? summarizeRun(r).finalWinRate : null);

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
  // Win rates (keys ending in "win rate") get the logit-t interval, which stays in [0, 1].
  for (const [k, xs] of values) {
    const i = k.endsWith('win rate') ? proportionIntervalOf(xs) : intervalOf(xs);
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
/** The entropy dose of claim 5: runs labelled arm = entropy-dose (α = 0 is the unregularised run). */
const isDose = (r: RunRecord) => r.kind === 'rl' && r.labels.arm === 'entropy-dose';
/** On-policy SimPO (claim 4c): a preference run on the policy's own pairs. */
const isOnPolicy = (r: RunRecord) => r.labels.data === 'on-policy';
const alphaOf = (r: RunRecord) => num(r.labels.alpha) ?? (isMaxEnt(r) ? (num(r.labels.coef) ?? 0) : 0);

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

/** The lowest learning rate among a seed's MaxEnt runs outside the dose (claim 1's "low rate"). */
function lowRateMaxEnt(v: SeedView): { lr: number; runs: RunRecord[] } | null {
  const runs = v.online.filter((r) => isMaxEnt(r) && !isDose(r));
  if (runs.length === 0) return null;
  const lr = Math.min(...runs.map(lrOf));
  return { lr, runs: runs.filter((r) => lrOf(r) === lr) };
}

const trajNote = (r: RunRecord) => {
  const t = trajectoryOf(r);
  return `${r.name} ${fmt(t.peakWinRate)}→${fmt(t.finalWinRate)} ${t.kind} (a ${t.conditions.goldFell ? '✓' : '✗'}, b ${t.conditions.proxyRose ? '✓' : '✗'}, c ${t.conditions.klRising ? '✓' : '✗'})`;
};

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
      rule: `per seed: every MaxEnt run of the dose at the higher rate whose α is also trained at the lower rate (all α > 0 when none is) is over-optimised by the trajectory rule (${TRAJECTORY_RULE_TEXT})`,
    },
    views,
    (v) => {
      const low = new Set((lowRateMaxEnt(v)?.runs ?? []).map(alphaOf));
      const high = v.online.filter(
        (r) => isDose(r) && alphaOf(r) > 0 && (low.size === 0 || low.has(alphaOf(r))),
      );
      if (high.length === 0) return null;
      const ok = high.map((r) => trajectoryOf(r).kind === 'over-optimised');
      return {
        holds: ok.every(Boolean),
        note: high.map(trajNote).join(', '),
        values: { 'mean drop from peak': meanOfAll(high.map((r) => trajectoryOf(r).goldDrop ?? Number.NaN)) },
      };
    },
  );
  const offline = perSeedClaim(
    {
      id: 'offline-gains',
      statement: 'DPO and SimPO (its own defaults) beat SFT',
      rule: `per seed: DPO's and SimPO's final gold win rates ≥ SFT + ${t.offlineGainOverSft}`,
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

/** A dose–response claim from per-seed (dose, outcome) sets: supported when the trend test says so. */
function trendClaim(
  base: { id: string; statement: string; rule: string },
  blocks: { seed: number; points: { dose: number; outcome: number; name: string }[] }[],
  direction: 1 | -1,
  describe: (p: { dose: number; outcome: number; name: string }) => string,
): SeedClaim {
  const used = blocks.filter((b) => b.points.length >= 2);
  const test = withinBlockTrend(
    used.map((b) => b.points.map((p) => ({ dose: p.dose, outcome: direction * p.outcome }))),
  );
  const perSeed = used.map((b, i) => ({
    seed: b.seed,
    holds: test ? (test.perBlock[i] ?? 0) > 0 : false,
    note: `ρ = ${test ? fmt(direction * (test.perBlock[i] ?? Number.NaN), 2) : 'n/a'}: ${b.points.map(describe).join(', ')}`,
  }));
  if (!test)
    return {
      ...base,
      verdict: 'not tested',
      intervals: {},
      perSeed,
      summary: `not tested: no seed has two distinct doses and outcomes (${used.length} seed(s)).`,
    };
  const verdict: ClaimVerdict =
    test.meanRho > 0 && test.p < DEMO_TARGETS.trendP ? 'supported' : 'not supported';
  return {
    ...base,
    verdict,
    seedsHolding: perSeed.filter((p) => p.holds).length,
    seedsTested: perSeed.length,
    perSeed,
    // No interval for ρ: a t-interval over three bounded values leaves [−1, 1]; the test is the permutation p.
    intervals: {},
    trend: { ...test, meanRho: direction * test.meanRho, perBlock: test.perBlock.map((r) => direction * r) },
    summary: `${verdict}: mean within-seed ρ = ${fmt(direction * test.meanRho, 2)} over ${test.blocks} seed(s), one-sided permutation p = ${fmt(test.p, 4)} (${test.permutations} within-seed permutations).`,
  };
}

/** The paper's six claims (and claim 5's measured-entropy row). `theory` is the theory module's table (claim 6); null: not tested. */
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
      rule:
        `per seed: every MaxEnt run at the lower learning rate is over-optimised by the trajectory rule (${TRAJECTORY_RULE_TEXT}), ` +
        "and its mean exact KL(π_t‖π_{t−1}) over the last third exceeds the KL-regularised RLOO run's at that rate. " +
        'Every run has the same budget (steps × a constant rate: the summed learning rate is shown); the KL-regularised runs are judged by the same rule in their notes.',
    },
    views,
    (v) => {
      const low = lowRateMaxEnt(v);
      if (!low) return null;
      const klRun = v.online.find((r) => isKl(r) && r.labels.algorithm === 'rloo' && lrOf(r) === low.lr);
      const klPrevKl = klRun ? trajectoryOf(klRun).klPrevLastThird : null;
      const ok = low.runs.map((r) => {
        const tr = trajectoryOf(r);
        const unstable = klPrevKl === null || (tr.klPrevLastThird !== null && tr.klPrevLastThird > klPrevKl);
        return tr.kind === 'over-optimised' && unstable;
      });
      const klRuns = v.online.filter(isKl);
      const klOver = klRuns.filter((r) => trajectoryOf(r).kind === 'over-optimised').length;
      const tr0 = trajectoryOf(low.runs[0]!);
      return {
        holds: ok.every(Boolean),
        note:
          `${low.runs.map((r) => `${trajNote(r)}, KL_prev ${fmt(trajectoryOf(r).klPrevLastThird, 4)}`).join('; ')}; ` +
          `${klRun ? `${klRun.name} KL_prev ${fmt(klPrevKl, 4)}; ` : ''}` +
          `KL-regularised runs over-optimised by the same rule: ${klOver} of ${klRuns.length}; summed lr ${fmt(tr0.summedLr, 4)}`,
        values: {
          'MaxEnt drop from peak': meanOfAll(low.runs.map((r) => trajectoryOf(r).goldDrop ?? Number.NaN)),
          'MaxEnt final KL(π‖π_ref)': meanOfAll(low.runs.map((r) => summarizeRun(r).finalKl ?? Number.NaN)),
          'KL-run final KL(π‖π_ref)': klRun ? summarizeRun(klRun).finalKl : null,
          'MaxEnt / KL-run KL(π_t‖π_{t−1}), last third':
            klPrevKl && klPrevKl > 0
              ? meanOfAll(low.runs.map((r) => (trajectoryOf(r).klPrevLastThird ?? Number.NaN) / klPrevKl))
              : null,
        },
      };
    },
  );
  const c2 = perSeedClaim(
    {
      id: 'kl-stable-high-win',
      statement: '(2) KL-regularised RLHF stays stable with high win rates',
      rule: `per seed: every KL-regularised run (RLOO and PPO, every rate) is stable by the trajectory rule (gold ends < ${TRAJECTORY_RULE.goldDrop} below its peak) and ends ≥ SFT + ${t.klGainOverSft}`,
    },
    views,
    (v) => {
      const runs = v.online.filter(isKl);
      if (runs.length === 0 || v.sftWin === null) return null;
      const ok = runs.map(
        (r) =>
          trajectoryOf(r).kind === 'stable' &&
          (summarizeRun(r).finalWinRate ?? -1) >= v.sftWin! + t.klGainOverSft,
      );
      return {
        holds: ok.every(Boolean),
        note: runs.map(trajNote).join(', '),
        values: {
          'mean final win rate': meanOfAll(runs.map((r) => summarizeRun(r).finalWinRate ?? Number.NaN)),
        },
      };
    },
  );
  const c3 = perSeedClaim(
    {
      id: 'simpo-strong-offline',
      statement: '(3) SimPO is strong offline',
      rule: `per seed: SimPO's final gold win rate ≥ SFT + ${t.offlineGainOverSft}`,
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
      statement:
        "(4) SimPO's stability comes from its target margin γ and length normalisation (ablations trained several epochs)",
      rule:
        `per seed, with stability = peak − final gold win rate over the evaluations every half epoch: SimPO with γ = 0 and SimPO without length normalisation (β divided by the mean response length, so only the normalisation changes) each fall ≥ ${t.ablationInstability} more than SimPO. ` +
        "The γ dose's within-seed trend (more γ, less fall) is reported beside it (4b), the paper's data-constraint explanation as its own row (4c).",
    },
    views,
    (v) => {
      const simpo = v.byName.get('simpo');
      const g0 = v.byName.get('simpo-gamma0');
      const noLen = v.byName.get('simpo-no-length-norm');
      if (!simpo || !g0 || !noLen) return null;
      const ds = goldDropOf(simpo);
      const dg = goldDropOf(g0);
      const dn = goldDropOf(noLen);
      if (ds === null || dg === null || dn === null) return null;
      const [ws, wg, wn] = [winOf(simpo), winOf(g0), winOf(noLen)];
      return {
        holds: dg - ds >= t.ablationInstability && dn - ds >= t.ablationInstability,
        note: `peak − final: SimPO ${fmt(ds)}, γ = 0 ${fmt(dg)}, no length norm. ${fmt(dn)}; final: ${fmt(ws)}, ${fmt(wg)}, ${fmt(wn)}`,
        values: {
          '(γ = 0 fall) − (SimPO fall)': dg - ds,
          '(no-length-norm. fall) − (SimPO fall)': dn - ds,
          'SimPO final − (γ = 0 final)': ws !== null && wg !== null ? ws - wg : null,
          'SimPO final − (no-length-norm. final)': ws !== null && wn !== null ? ws - wn : null,
        },
      };
    },
  );
  const gammaTrend = trendClaim(
    {
      id: 'simpo-gamma-dose',
      statement: '(4b) More target margin γ, less fall from the peak (SimPO γ dose, length-normalised)',
      rule: `per seed: Spearman ρ between γ and −(peak − final) over the length-normalised SimPO arms; supported when the mean over seeds is > 0 with a one-sided within-seed permutation p < ${t.trendP}`,
    },
    views.map((v) => ({
      seed: v.seed,
      points: [...v.byName.values()]
        .filter(
          (r) =>
            r.kind === 'po' &&
            r.labels.algorithm === 'simpo' &&
            r.labels.lengthNormalize !== false &&
            !isOnPolicy(r),
        )
        .flatMap((r) => {
          const g = num(r.labels.gamma);
          const d = goldDropOf(r);
          return g === null || d === null ? [] : [{ dose: g, outcome: d, name: r.name }];
        }),
    })),
    -1,
    (p) => `γ=${p.dose}: ${fmt(p.outcome)}`,
  );
  const c4data = perSeedClaim(
    {
      id: 'simpo-data-constraint',
      statement:
        "(4c) SimPO's stability comes from its offline data: without it (on-policy SimPO) it falls further from its peak",
      rule: `per seed: on-policy SimPO — pairs of the policy's own samples ranked by the proxy, redrawn every half epoch, with offline SimPO's β, γ, length normalisation, rate, batch, steps and prompts — falls (peak − final gold win rate) ≥ ${t.ablationInstability} more than offline SimPO`,
    },
    views,
    (v) => {
      const simpo = v.byName.get('simpo');
      const online = [...v.byName.values()].find((r) => r.kind === 'po' && isOnPolicy(r));
      if (!simpo || !online) return null;
      const ds = goldDropOf(simpo);
      const dn = goldDropOf(online);
      if (ds === null || dn === null) return null;
      const [ws, wn] = [winOf(simpo), winOf(online)];
      const proxy = metricSeries(online.metrics, 'eval/proxy_reward');
      const proxyText =
        proxy.length > 1
          ? `; its proxy reward ${fmt(proxy[0]!.value, 2)} → ${fmt(proxy.at(-1)!.value, 2)}`
          : '';
      return {
        holds: dn - ds >= t.ablationInstability,
        note: `peak − final: SimPO ${fmt(ds)}, on-policy ${fmt(dn)}; final: ${fmt(ws)}, ${fmt(wn)}${proxyText}`,
        values: {
          '(on-policy fall) − (SimPO fall)': dn - ds,
          'on-policy final win rate': wn,
          'SimPO final − (on-policy final)': ws !== null && wn !== null ? ws - wn : null,
        },
      };
    },
  );
  const c5 = trendClaim(
    {
      id: 'entropy-correlates',
      statement: '(5) More entropy bonus α, more over-optimisation (dose α ∈ grid, no KL, the higher rate)',
      rule: `per seed: Spearman ρ between α and the gold drop (peak − final) over the dose runs (α = 0: no regulariser), paired by seed; supported when the mean over seeds is > 0 with a one-sided within-seed permutation p < ${t.trendP}`,
    },
    views.map((v) => ({
      seed: v.seed,
      points: v.online.filter(isDose).flatMap((r) => {
        const d = trajectoryOf(r).goldDrop;
        return d === null ? [] : [{ dose: alphaOf(r), outcome: d, name: r.name }];
      }),
    })),
    1,
    (p) => `α=${p.dose}: ${fmt(p.outcome)}`,
  );
  const c5entropy = trendClaim(
    {
      id: 'measured-entropy-correlates',
      statement: '(5b) Higher measured policy entropy goes with more over-optimisation (every online run)',
      rule: `per seed: Spearman ρ between the rollouts' mean per-token entropy over the last third of the steps and the gold drop (peak − final), over every online run of the seed; supported when the mean over seeds is > 0 with a one-sided within-seed permutation p < ${t.trendP}`,
    },
    views.map((v) => ({
      seed: v.seed,
      points: v.online.flatMap((r) => {
        const tr = trajectoryOf(r);
        return tr.goldDrop === null || tr.entropyLastThird === null
          ? []
          : [{ dose: tr.entropyLastThird, outcome: tr.goldDrop, name: r.name }];
      }),
    })),
    1,
    (p) => `${p.name} H ${fmt(p.dose, 2)}: ${fmt(p.outcome)}`,
  );
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
  return [c1, c2, c3, c4, gammaTrend, c4data, c5, c5entropy, c6];
}

/** Everything the multi-seed report shows (summary.json). */
export interface DemoSummary {
  seeds: number[];
  level: number;
  rule: string;
  /** The online runs' trajectory rule, as printed. */
  trajectoryRule: string;
  sft: { winRate: Interval | null; perSeed: { seed: number; winRate: number | null }[] };
  oracle: { winRate: Interval | null; perSeed: { seed: number; winRate: number }[] };
  runs: RunAcrossSeeds[];
  targets: SeedClaim[];
  claims: SeedClaim[];
  overoptimisation: { curves: GaoCurve[]; fits: GaoMethodFit[] };
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
    rule:
      `each claim or target is decided per seed by its rule; it is supported when it holds in more than ${100 * SEED_MAJORITY} % of the seeds (${Math.floor(seeds.length * SEED_MAJORITY) + 1} of ${seeds.length}), ` +
      `or, for the dose–response rows, when the within-seed trend test gives p < ${DEMO_TARGETS.trendP}. ` +
      'Intervals: win rates, the Student-t interval of their logits over seeds mapped back (it stays in [0, 1]); other quantities, mean ± t_{0.975, n−1}·s/√n over seeds.',
    trajectoryRule: TRAJECTORY_RULE_TEXT,
    sft: { winRate: proportionIntervalOf(sftPerSeed.map((s) => s.winRate)), perSeed: sftPerSeed },
    oracle: { winRate: proportionIntervalOf(oracle.map((o) => o.winRate)), perSeed: [...oracle] },
    runs: runsAcrossSeeds(seeds),
    targets: designTargets(seeds),
    claims: paperClaimsOverSeeds(seeds, theory),
    overoptimisation: { curves, fits: fitCurves(curves) },
  };
}
