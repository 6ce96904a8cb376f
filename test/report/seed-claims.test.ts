/**
 * The demo's multi-seed summary on hand-built run records: intervals computed by hand, each
 * claim's per-seed rule and majority verdict, the over-optimisation curve points (KL window means,
 * the best-of-n analytic KL) and their fits.
 */
import { describe, expect, it } from 'vitest';
import { designTargets, paperClaimsOverSeeds, summarizeSeeds } from '../../src/report/claims.ts';
import { fitCurves, overoptimisationCurves, runsAcrossSeeds, type SeedRuns } from '../../src/report/seeds.ts';
import type { MetricLine, RunRecord } from '../../src/runs/run-reader.ts';
import type { CheckRow } from '../../src/theory/index.ts';

const T975_2 = 4.302652729911275; // t_{0.975, 2}

function offline(name: string, kind: string, win: number): RunRecord {
  return {
    dir: `/x/${name}`,
    name,
    kind,
    labels: { algorithm: name },
    status: 'done',
    metrics: [{ step: 5, 'eval/win_rate': win }],
  };
}

/** An online run: evaluations every 10 steps at `wins`; proxy rising by 0.1 per evaluation; KL per step `kl(step)`. */
function online(
  name: string,
  labels: Record<string, string | number>,
  wins: number[],
  kl: (step: number) => number = (s) => 0.01 * s,
): RunRecord {
  const metrics: MetricLine[] = [];
  wins.forEach((w, i) => {
    const step = 10 * i;
    if (i > 0)
      for (let s = step - 9; s < step; s++)
        metrics.push({ step: s, 'objective/scores': 0.01 * s, 'objective/kl': kl(s) });
    metrics.push({
      step,
      ...(i > 0 ? { 'objective/scores': 0.01 * step, 'objective/kl': kl(step) } : {}),
      'eval/win_rate': w,
      'eval/proxy_reward': 0.1 * i,
    });
  });
  return { dir: `/x/${name}`, name, kind: 'rl', labels, status: 'done', metrics };
}

const kl = (alg: string, lr: number) => ({ algorithm: alg, regularizer: 'kl', coef: 0.2, lr });
const ent = (a: number, lr: number) => ({ algorithm: 'rloo', regularizer: 'entropy', coef: a, lr });

/** One seed: SFT at `sft`; KL runs rise and hold; MaxEnt runs rise then fall by `fall` (per α). */
function seed(
  seedNo: number,
  sft: number,
  fall: number,
  offlineWins = { dpo: 0.8, simpo: 0.85, g0: 0.7, nl: 0.6 },
): SeedRuns {
  const rise = 0.9;
  return {
    seed: seedNo,
    runs: [
      offline('sft', 'sft', sft),
      offline('dpo', 'po', offlineWins.dpo),
      offline('simpo', 'po', offlineWins.simpo),
      offline('simpo-gamma0', 'po', offlineWins.g0),
      offline('simpo-no-length-norm', 'po', offlineWins.nl),
      online('kl-lo', kl('rloo', 1e-4), [sft, rise, rise, rise], (s) => 0.005 * s),
      online('ppo-lo', kl('ppo', 1e-4), [sft, rise - 0.02, rise, rise], (s) => 0.005 * s),
      online('me-0.02-lo', ent(0.02, 1e-4), [sft, rise, rise - fall / 2, rise - fall]),
      online('me-0.05-lo', ent(0.05, 1e-4), [sft, rise, rise - fall, rise - 2 * fall]),
      online('me-0.02-hi', ent(0.02, 1e-3), [sft, rise, rise - 2 * fall, rise - 3 * fall]),
    ],
  };
}

describe('runsAcrossSeeds', () => {
  it('gives each run the t-interval of its per-seed values (by hand)', () => {
    const seeds = [seed(1, 0.3, 0.2), seed(2, 0.4, 0.2), seed(3, 0.5, 0.2)];
    const sft = runsAcrossSeeds(seeds).find((r) => r.name === 'sft')!;
    // 0.3, 0.4, 0.5: mean 0.4, s = 0.1, half-width t·s/√3.
    expect(sft.finalWinRate!.mean).toBeCloseTo(0.4, 12);
    expect(sft.finalWinRate!.high! - 0.4).toBeCloseTo((T975_2 * 0.1) / Math.sqrt(3), 9);
    const me = runsAcrossSeeds(seeds).find((r) => r.name === 'me-0.05-lo')!;
    expect(me.verdicts).toEqual({ 'over-optimised': 3 });
    expect(me.peakWinRate!.mean).toBeCloseTo(0.9, 12);
    expect(me.finalWinRate!.mean).toBeCloseTo(0.5, 12);
    expect(me.perSeed.map((p) => p.seed)).toEqual([1, 2, 3]);
  });
});

describe('claims over seeds', () => {
  it('decides each claim by its per-seed rule and a majority of seeds', () => {
    // Seed 3: the low-rate MaxEnt runs fall only 0.05 and 0.1 from their peaks: not over-optimised.
    const seeds = [seed(1, 0.3, 0.2), seed(2, 0.35, 0.15), seed(3, 0.3, 0.05)];
    const claims = paperClaimsOverSeeds(seeds, null);
    const byId = Object.fromEntries(claims.map((c) => [c.id, c]));
    expect(claims).toHaveLength(6);
    const c1 = byId['maxent-over-optimises-low-lr']!;
    expect(c1.perSeed!.map((p) => p.holds)).toEqual([true, true, false]);
    expect(c1.verdict).toBe('supported');
    expect(byId['kl-stable-high-win']!.verdict).toBe('supported');
    expect(byId['kl-stable-high-win']!.seedsHolding).toBe(3);
    // SimPO 0.85 vs SFT 0.3 / 0.35: holds; ablations 0.15 and 0.25 below: hold.
    expect(byId['simpo-strong-offline']!.verdict).toBe('supported');
    expect(byId['simpo-stabilisers']!.intervals['SimPO − (γ = 0)']!.mean).toBeCloseTo(0.15, 12);
    expect(byId['simpo-stabilisers']!.verdict).toBe('supported');
    expect(byId['theorem1-equal-lengths']!.verdict).toBe('not tested');
  });

  it('is not supported when the rule holds in only one of three seeds', () => {
    const seeds = [seed(1, 0.3, 0.2), seed(2, 0.3, 0.05), seed(3, 0.3, 0.05)];
    const c1 = paperClaimsOverSeeds(seeds, null)[0]!;
    expect(c1.seedsHolding).toBe(1);
    expect(c1.verdict).toBe('not supported');
    // The ablations no longer hurt (γ = 0 at SimPO's level): claim 4 fails in every seed.
    const flat = [1, 2, 3].map((s) => seed(s, 0.3, 0.2, { dpo: 0.8, simpo: 0.85, g0: 0.84, nl: 0.6 }));
    const c4 = paperClaimsOverSeeds(flat, null).find((c) => c.id === 'simpo-stabilisers')!;
    expect(c4.seedsHolding).toBe(0);
    expect(c4.verdict).toBe('not supported');
  });

  it('claim 5: within-seed rank trend of α against the gold drop of the dose runs, with its permutation p', () => {
    const dose = (seedNo: number, drops: number[]): SeedRuns => ({
      seed: seedNo,
      runs: [0, 0.01, 0.02, 0.05, 0.1].map((a, i) =>
        online(`dose-${a}`, { ...ent(a, 1e-3), arm: 'entropy-dose', alpha: a }, [0.3, 0.9, 0.9 - drops[i]!]),
      ),
    });
    // Every seed's drop rises with α: ρ = 1 in each, and no within-seed permutation of the doses
    // reaches a mean of 1 except the identity (probability 120⁻³), so the Monte Carlo p is its floor 1/(9999 + 1).
    const up = [
      dose(1, [0, 0.1, 0.2, 0.3, 0.4]),
      dose(2, [0.05, 0.06, 0.2, 0.25, 0.5]),
      dose(3, [0, 0.01, 0.02, 0.5, 0.6]),
    ];
    const c5 = paperClaimsOverSeeds(up, null).find((c) => c.id === 'entropy-correlates')!;
    expect(c5.trend!.perBlock).toEqual([1, 1, 1]);
    expect(c5.trend!.meanRho).toBe(1);
    expect(c5.trend!.p).toBeCloseTo(1 / 10000, 12);
    expect(c5.verdict).toBe('supported');
    // Seed 3 reversed (ρ = −1) and seed 2 with α = 0.1 and 0.05 swapped (ρ = 0.9): mean 0.3, not significant.
    const mixed = [
      dose(1, [0, 0.1, 0.2, 0.3, 0.4]),
      dose(2, [0.05, 0.06, 0.2, 0.5, 0.25]),
      dose(3, [0.6, 0.5, 0.02, 0.01, 0]),
    ];
    const m = paperClaimsOverSeeds(mixed, null).find((c) => c.id === 'entropy-correlates')!;
    expect(m.trend!.perBlock.map((r) => Number(r.toFixed(12)))).toEqual([1, 0.9, -1]);
    expect(m.trend!.meanRho).toBeCloseTo(0.3, 12);
    expect(m.trend!.p).toBeGreaterThan(0.05);
    expect(m.verdict).toBe('not supported');
  });

  it('claim 6 reads the Theorem-1 rows of the theory table', () => {
    const row = (id: string, pass: boolean) => ({ id, pass, expectation: 'holds' }) as CheckRow;
    const seeds = [seed(1, 0.3, 0.2)];
    const ok = paperClaimsOverSeeds(seeds, [
      row('L1-bt', false),
      row('T1-equal', true),
      row('T1-margin', true),
    ]);
    expect(ok[5]!.verdict).toBe('supported');
    const bad = paperClaimsOverSeeds(seeds, [row('T1-equal', true), row('T1-margin', false)]);
    expect(bad[5]!.verdict).toBe('not supported');
  });

  it('design targets: KL gains over SFT, MaxEnt at the high rate over-optimises, offline gains', () => {
    const t = designTargets([seed(1, 0.3, 0.2), seed(2, 0.3, 0.2), seed(3, 0.3, 0.2)]);
    expect(t.map((c) => c.verdict)).toEqual(['supported', 'supported', 'supported']);
    // SFT at 0.8: KL final 0.9 < 0.8 + 0.15 and DPO 0.8 < 0.9.
    const high = designTargets([seed(1, 0.8, 0.2)]);
    expect(high[0]!.verdict).toBe('not supported');
    expect(high[2]!.verdict).toBe('not supported');
  });
});

describe('over-optimisation curves', () => {
  it('KL at an evaluation is the mean over the steps since the previous one, clamped at 0', () => {
    const run = online('r', kl('rloo', 1e-4), [0.3, 0.5, 0.6], (s) => (s <= 10 ? -0.01 : 0.02 * s));
    const [curve] = overoptimisationCurves([{ seed: 7, runs: [run] }]);
    expect(curve!.seed).toBe(7);
    expect(curve!.method).toBe('RLOO KL β=0.2 lr=0.0001');
    // Steps 1..10: all −0.01 → clamped to 0. Steps 11..20: 0.02·mean(11..20) = 0.02·15.5 = 0.31.
    expect(curve!.points.map((p) => p.kl)).toEqual([0, 0, expect.closeTo(0.31, 12)]);
    expect(curve!.points[2]!.d).toBeCloseTo(Math.sqrt(0.31), 12);
    expect(curve!.points.map((p) => p.gold)).toEqual([0, expect.closeTo(0.2, 12), expect.closeTo(0.3, 12)]);
    expect(curve!.points.map((p) => p.proxy)).toEqual([0, 0.1, 0.2]);
  });

  it('best-of-n: d = √(log n − (n−1)/n), gains over n = 1, fitted with d(α − βd)', () => {
    const ns = [1, 2, 4, 8, 16];
    const bonKl = (n: number) => Math.log(n) - (n - 1) / n;
    const gold = (d: number) => d * (0.5 - 0.2 * d);
    const metrics = ns.map((n) => ({
      step: n,
      'objective/kl_analytic': bonKl(n),
      'objective/scores': 1 + Math.sqrt(bonKl(n)),
      'eval/win_rate': 0.3 + gold(Math.sqrt(bonKl(n))),
    }));
    const run: RunRecord = {
      dir: '/x/bon',
      name: 'best-of-n',
      kind: 'bon',
      labels: {},
      status: 'done',
      metrics,
    };
    const curves = overoptimisationCurves([{ seed: 1, runs: [run] }]);
    expect(curves[0]!.points[3]!.d).toBeCloseTo(Math.sqrt(Math.log(8) - 7 / 8), 12);
    expect(curves[0]!.points[3]!.proxy).toBeCloseTo(Math.sqrt(Math.log(8) - 7 / 8), 12);
    const [fit] = fitCurves(curves);
    expect(fit!.form).toBe('bon');
    expect(fit!.gold!.alpha).toBeCloseTo(0.5, 9);
    expect(fit!.gold!.beta).toBeCloseTo(0.2, 9);
    expect(fit!.gold!.r2).toBeCloseTo(1, 9);
    // Proxy gain = d exactly: α = 1, β = 0.
    expect(fit!.proxy!.alpha).toBeCloseTo(1, 9);
    expect(fit!.proxy!.beta).toBeCloseTo(0, 9);
  });

  it('summarizeSeeds carries SFT and oracle intervals and one fit per method', () => {
    const s = summarizeSeeds(
      [seed(1, 0.3, 0.2), seed(2, 0.4, 0.2)],
      [
        { seed: 1, winRate: 0.9 },
        { seed: 2, winRate: 1 },
      ],
      null,
    );
    expect(s.sft.winRate!.mean).toBeCloseTo(0.35, 12);
    expect(s.oracle.winRate!.mean).toBeCloseTo(0.95, 12);
    // t_{0.975,1} = 12.7062: half-width 12.7062·0.0707107/√2 = 0.635310.
    expect(s.oracle.winRate!.high! - 0.95).toBeCloseTo(0.63531, 4);
    expect(s.overoptimisation.fits.map((f) => f.method).sort()).toEqual(
      [
        'PPO KL β=0.2 lr=0.0001',
        'RLOO KL β=0.2 lr=0.0001',
        'RLOO MaxEnt α=0.02 lr=0.0001',
        'RLOO MaxEnt α=0.02 lr=0.001',
        'RLOO MaxEnt α=0.05 lr=0.0001',
      ].sort(),
    );
    expect(JSON.parse(JSON.stringify(s)).claims).toHaveLength(6);
  });
});
