import { describe, expect, it } from 'vitest';
import { paperClaims } from '../../src/report/claims.ts';
import { summarizeRun, trajectoryOf, verdictOf } from '../../src/report/verdict.ts';
import type { RunRecord } from '../../src/runs/run-reader.ts';
import { klRun, maxEntRun, onlineCurve, type SyntheticRun } from './synthetic-runs.ts';

/** A run record straight from a synthetic run (no disk). */
function record(run: SyntheticRun): RunRecord {
  return {
    dir: `/runs/${run.name}`,
    name: run.name,
    kind: run.kind,
    labels: run.labels,
    status: 'done',
    metrics: run.lines,
  };
}

describe('verdictOf', () => {
  it('calls a run over-optimised when the proxy rises while the win rate falls 0.6 → 0.3', () => {
    const v = verdictOf(record(maxEntRun('m', 0.1, 1e-6, [0.5, 0.6, 0.55, 0.4, 0.3])));
    expect(v.kind).toBe('over-optimised');
    expect(v.peakWinRate).toBe(0.6);
    expect(v.finalWinRate).toBe(0.3);
    expect(v.proxyMetric).toBe('eval/proxy_reward');
    expect(v.proxyRise).toBeGreaterThan(0);
  });

  it('calls a steadily improving run stable', () => {
    expect(verdictOf(record(klRun('k', 0.05, 1e-6))).kind).toBe('stable');
  });

  it('reports insufficient data with only 2 evaluations', () => {
    const v = verdictOf(record(maxEntRun('m', 0.1, 1e-6, [0.6, 0.2])));
    expect(v.kind).toBe('insufficient data');
    expect(v.evaluations).toBe(2);
  });

  it('uses the drop threshold: a 0.1 drop from the peak is stable by default, over-optimised at 0.05', () => {
    const run = record(maxEntRun('m', 0.1, 1e-6, [0.5, 0.7, 0.65, 0.6]));
    expect(verdictOf(run).kind).toBe('stable');
    expect(verdictOf(run, { dropThreshold: 0.05 }).kind).toBe('over-optimised');
  });

  it('flags a run ending below the floor (first win rate − 0.1) without a 0.15 drop from the peak', () => {
    const v = verdictOf(record(maxEntRun('m', 0.1, 1e-6, [0.5, 0.45, 0.42, 0.38])));
    expect(v.floor).toBeCloseTo(0.4, 12);
    expect(v.kind).toBe('over-optimised');
    expect(verdictOf(record(maxEntRun('m', 0.1, 1e-6, [0.5, 0.45, 0.42, 0.38])), { floor: 0.3 }).kind).toBe(
      'stable',
    );
  });

  it('does not call a falling win rate over-optimisation when the proxy reward fell too', () => {
    const run = record({
      name: 'collapse',
      kind: 'rl',
      labels: { regularizer: 'entropy' },
      lines: onlineCurve({ winRates: [0.6, 0.5, 0.3], proxySlope: -0.05 }),
    });
    const v = verdictOf(run);
    expect(v.kind).toBe('collapsed');
    expect(v.reason).toMatch(/did not rise/);
  });

  it('falls back to objective/scores when no eval/proxy_reward was logged', () => {
    const lines = onlineCurve({ winRates: OVER }).map(({ 'eval/proxy_reward': _drop, ...rest }) => rest);
    const v = verdictOf(record({ name: 'n', kind: 'rl', labels: {}, lines }));
    expect(v.proxyMetric).toBe('objective/scores');
    expect(v.kind).toBe('over-optimised');
  });
});

const OVER = [0.5, 0.6, 0.55, 0.4, 0.3];

describe('summarizeRun', () => {
  it('reports final and peak win rate, final proxy, KL, entropy, and the largest step KL', () => {
    // onlineCurve: 21 steps (0..20); scores = 0.1 + 0.05·step, entropy = 2 + 0.1·step, kl = 0.5·step.
    const s = summarizeRun(record(maxEntRun('m', 0.1, 1e-6, OVER)));
    expect(s.finalWinRate).toBe(0.3);
    expect(s.peakWinRate).toBe(0.6);
    expect(s.finalProxyReward).toBeCloseTo(1.1, 12);
    expect(s.finalKl).toBeCloseTo(10, 12);
    expect(s.finalEntropy).toBeCloseTo(4, 12);
    expect(s.maxKlPrev).toBeCloseTo(0.03, 12);
    expect(s.evaluations).toBe(5);
  });

  it('leaves absent metrics null rather than zero', () => {
    const s = summarizeRun(record({ name: 'e', kind: 'sft', labels: {}, lines: [{ step: 0, loss: 1 }] }));
    expect(s).toMatchObject({ finalWinRate: null, finalKl: null, maxKlPrev: null, evaluations: 0 });
  });
});

describe('paperClaims', () => {
  const maxent = (i: number, wins = OVER) => record(maxEntRun(`me${i}`, 0.1, 1e-6, wins));
  const kl = (i: number, wins?: number[]) => record(klRun(`kl${i}`, 0.05, 1e-6, wins));

  it('supports both claims when MaxEnt runs over-optimise and KL runs stay stable', () => {
    const [me, k] = paperClaims([maxent(1), maxent(2), kl(1), kl(2)]);
    expect(me?.status).toBe('supported');
    expect(me?.evidence).toMatchObject({ runs: 2, judged: 2, overOptimised: 2, stable: 0 });
    expect(me?.evidence.meanPeakWinRate).toBeCloseTo(0.6, 12);
    expect(me?.evidence.meanFinalWinRate).toBeCloseTo(0.3, 12);
    expect(k?.status).toBe('supported');
    expect(k?.evidence).toMatchObject({ judged: 2, stable: 2, overOptimised: 0 });
  });

  it('says not supported when the measured runs show the opposite', () => {
    const [me, k] = paperClaims([maxent(1, [0.5, 0.6, 0.7]), kl(1, OVER)]);
    expect(me?.status).toBe('not supported');
    expect(me?.summary).toMatch(/do not show the paper's effect/);
    expect(k?.status).toBe('not supported');
  });

  it('says not tested when no run of a group has enough evaluations', () => {
    const [me, k] = paperClaims([maxent(1, [0.5, 0.2]), kl(1)]);
    expect(me?.status).toBe('not tested');
    expect(me?.evidence).toMatchObject({ runs: 1, judged: 0, insufficient: 1 });
    expect(k?.status).toBe('supported');
    expect(paperClaims([]).map((c) => c.status)).toEqual(['not tested', 'not tested']);
  });

  it('needs a strict majority by default, configurable', () => {
    const runs = [maxent(1), maxent(2, [0.5, 0.55, 0.6])];
    expect(paperClaims(runs)[0]?.status).toBe('not supported');
    expect(paperClaims(runs, { supportFraction: 0.4 })[0]?.status).toBe('supported');
  });

  it('ignores offline runs even when labelled with a regulariser', () => {
    const offline = { ...maxent(1), kind: 'po' };
    expect(paperClaims([offline])[0]?.status).toBe('not tested');
  });
});

describe('trajectoryOf (the rule fixed before the demo results)', () => {
  /** Gold at steps 0, 10, 20, 30; proxy at those steps; KL per step; lr 2e-3 per step. */
  function run(gold: number[], proxy: number[], kl: (s: number) => number): RunRecord {
    const metrics: RunRecord['metrics'] = [];
    for (let s = 0; s <= 30; s++) {
      const line: Record<string, number> = { step: s };
      if (s > 0) Object.assign(line, { 'objective/kl': kl(s), lr: 2e-3, 'policy/kl_prev': 0.01 * s });
      if (s % 10 === 0)
        Object.assign(line, { 'eval/win_rate': gold[s / 10]!, 'eval/proxy_reward': proxy[s / 10]! });
      metrics.push(line as RunRecord['metrics'][number]);
    }
    return { dir: '/r', name: 'r', kind: 'rl', labels: {}, status: 'done', metrics };
  }

  it('over-optimised only when gold fell ≥ 0.15, the proxy ended above its value at the gold peak, and KL still rose', () => {
    const t = trajectoryOf(run([0.3, 0.8, 0.7, 0.6], [0, 1, 2, 3], (s) => 0.1 * s));
    expect(t.kind).toBe('over-optimised');
    expect(t.peakStep).toBe(10);
    expect(t.goldDrop).toBeCloseTo(0.2, 12);
    expect(t.summedLr).toBeCloseTo(30 * 2e-3, 12);
    // KL = 0.1·s exactly: the slope over the last third is 0.1 with no spread.
    expect(t.klSlope!.slope).toBeCloseTo(0.1, 12);
    // The last third of the logged steps 1..30 starts at 30 − 29/3 ≈ 20.3: steps 21..30, and
    // KL(π_t‖π_{t−1}) = 0.01·s has mean 0.01·25.5 there.
    expect(t.klPrevLastThird).toBeCloseTo(0.255, 12);
  });

  it('"fell" when the proxy is no higher at the end than at the gold peak, or KL has a fixed point', () => {
    expect(trajectoryOf(run([0.3, 0.8, 0.7, 0.6], [0, 3, 2, 1], (s) => 0.1 * s)).kind).toBe('fell');
    const plateau = trajectoryOf(run([0.3, 0.8, 0.7, 0.6], [0, 1, 2, 3], (s) => Math.min(1, 0.1 * s)));
    expect(plateau.conditions).toEqual({ goldFell: true, proxyRose: true, klRising: false });
    expect(plateau.kind).toBe('fell');
  });

  it('stable when gold ends within 0.15 of its peak, however the proxy and KL move', () => {
    expect(trajectoryOf(run([0.3, 0.8, 0.75, 0.7], [0, 1, 2, 3], (s) => 0.1 * s)).kind).toBe('stable');
  });
});
