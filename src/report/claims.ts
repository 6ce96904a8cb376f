/**
 * Checks the paper's two headline claims against the measured verdicts of the runs at hand:
 * "MaxEnt (entropy-regularised) online RLHF over-optimises (or collapses)" and "KL-regularised RLHF
 * stays stable".
 * Nothing is assumed: each claim is supported, not supported, or not tested, with its evidence.
 */
import type { RunRecord } from '../runs/run-reader.ts';
import { DEFAULT_THRESHOLDS, type Verdict, type VerdictThresholds, verdictOf } from './verdict.ts';

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
