/**
 * The table of checks as a whole: every row passes, the objection rows deviate by more than their
 * threshold in every instance, the residual of the BT cancellation equals its closed form
 * −(α_w − α_l)·log Z(x), a wrong plugged-in loss is caught, and the table renders.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type CheckSpec,
  createPrng,
  createSimpoLoss,
  evaluateCheck,
  formatTheoryTable,
  implicitRewards,
  lengthTemperedGibbsPolicy,
  lengthTemperedLogPartition,
  lengthWeightedEntropyObjective,
  maximizeOverSimplex,
  OBJECTION_THRESHOLD,
  type PreferenceLossFactory,
  pairwiseDifferenceGap,
  randomTabularProblem,
  runTheoryChecks,
  theorem1Checks,
} from '../../src/theory/index.ts';

const rows = runTheoryChecks({ instances: 8, seed: 2024 });
const row = (id: string) => {
  const found = rows.find((r) => r.id === id);
  if (!found) throw new Error(`no row ${id}`);
  return found;
};

describe('runTheoryChecks', () => {
  it('returns the rows of docs/theory.md in order, all passing', () => {
    expect(rows.map((r) => r.id)).toEqual([
      'L1-BT',
      'L1-PL',
      'L1-ctrl',
      'MaxEnt',
      'KL',
      'P1',
      'L2-const',
      'L2-len',
      'T1-equal',
      'T1-repr',
      'T1-wMaxEnt',
      'T1-policy',
      'T1-residual',
      'T1-wMaxEnt-0',
      'T1-margin',
      'T1-margin-cf',
    ]);
    for (const r of rows)
      expect({ id: r.id, pass: r.pass, verdict: r.verdict }).toMatchObject({ pass: true });
  });

  it('Theorem 1 with equal lengths and γ = 0 holds to 1e-6; both reconstructions for unequal lengths too', () => {
    expect(row('T1-equal').maxDeviation).toBeLessThanOrEqual(1e-6);
    expect(row('T1-repr').maxDeviation).toBeLessThanOrEqual(1e-6);
    expect(row('T1-wMaxEnt').maxDeviation).toBeLessThanOrEqual(1e-6);
  });

  it('the objection shows: unequal lengths move the minimiser off exp(|y|r/β)/Z by ≥ 0.1 in log π in every instance', () => {
    expect(row('T1-policy').minDeviation).toBeGreaterThan(0.1);
    expect(row('T1-residual').minDeviation).toBeGreaterThan(0.1);
    expect(row('T1-margin').minDeviation).toBeGreaterThan(0.1);
    for (const id of ['T1-policy', 'T1-residual', 'T1-wMaxEnt-0', 'T1-margin', 'L2-len', 'L1-ctrl']) {
      expect(row(id).minDeviation).toBeGreaterThan(OBJECTION_THRESHOLD);
      expect(row(id).verdict).toMatch(/^holds only under/);
    }
    expect(row('T1-policy').verdict).toBe('holds only under equal lengths / constant α');
  });

  it('docs/theory.md names every row id', () => {
    const docs = readFileSync(new URL('../../docs/theory.md', import.meta.url), 'utf8');
    for (const r of rows) expect(docs).toContain(`\`${r.id}\``);
  });

  it('is reproducible from its seed', () => {
    const again = runTheoryChecks({ instances: 8, seed: 2024 });
    expect(again.map((r) => r.maxDeviation)).toEqual(rows.map((r) => r.maxDeviation));
  });
});

describe('the BT-cancellation residual', () => {
  it('equals max over pairs of |(α_w − α_l)·log Z_β(x)|, computed from the partition function alone', () => {
    const beta = 2;
    const rng = createPrng(77);
    for (let k = 0; k < 10; k++) {
      const problem = randomTabularProblem(rng, { lengths: 'unequal' });
      const gibbs = problem.prompts.map((p) =>
        lengthTemperedGibbsPolicy(p.rewards, p.lengths, beta).map(Math.log),
      );
      const measured = pairwiseDifferenceGap(
        implicitRewards(problem, gibbs, beta),
        problem.prompts.map((p) => p.rewards),
      );
      const predicted = Math.max(
        ...problem.prompts.map((p) => {
          const logZ = lengthTemperedLogPartition(p.rewards, p.lengths, beta);
          const temperatures = p.lengths.map((l) => beta / l);
          return (Math.max(...temperatures) - Math.min(...temperatures)) * Math.abs(logZ);
        }),
      );
      expect(measured).toBeCloseTo(predicted, 12);
    }
  });
});

describe('the length-weighted MaxEnt optimum without the α_y bonus', () => {
  it('has implicit-reward residual exactly max_y α_y − min_y α_y per prompt, α_y = β/|y|', () => {
    const beta = 2;
    const rng = createPrng(78);
    for (let k = 0; k < 10; k++) {
      const problem = randomTabularProblem(rng, { lengths: 'unequal' });
      const logPolicy = problem.prompts.map((p) => {
        const optimum = maximizeOverSimplex(
          lengthWeightedEntropyObjective(p.rewards, p.lengths, beta, false),
          p.rewards.length,
        );
        return optimum.policy.map(Math.log);
      });
      const measured = pairwiseDifferenceGap(
        implicitRewards(problem, logPolicy, beta),
        problem.prompts.map((p) => p.rewards),
      );
      const predicted = Math.max(
        ...problem.prompts.map((p) => beta / Math.min(...p.lengths) - beta / Math.max(...p.lengths)),
      );
      expect(Math.abs(measured - predicted)).toBeLessThan(1e-8);
    }
  });
});

describe('the checks can fail', () => {
  it('a plugged-in SimPO without length normalisation fails T1-equal (lengths ≠ 1)', () => {
    const unnormalised: PreferenceLossFactory = ({ beta, gamma }) => {
      const simpo = createSimpoLoss({ beta, gamma });
      // Pretend every response has length 1: the implicit reward becomes β·log π.
      return (c, r, lc, lr) => {
        const out = simpo(
          c,
          r,
          lc.map(() => 1),
          lr.map(() => 1),
        );
        return out;
      };
    };
    const equalRow = theorem1Checks(unnormalised).find((s) => s.id === 'T1-equal')!;
    const result = evaluateCheck(equalRow, { instances: 6, seed: 3 });
    expect(result.pass).toBe(false);
    expect(result.verdict).toBe('FAILS');
  });

  it('an erroring or non-converging check becomes a failing NaN row, a deviates row without deviation fails', () => {
    const throwing: CheckSpec = {
      id: 'throws',
      statement: 's',
      assumption: 'a',
      metric: 'm',
      expectation: 'holds',
      tolerance: 1,
      deviation: () => {
        throw new Error('boom');
      },
    };
    const broken = evaluateCheck(throwing, { instances: 2, seed: 1 });
    expect(broken.pass).toBe(false);
    expect(Number.isNaN(broken.maxDeviation)).toBe(true);
    expect(broken.verdict).toBe('error: boom');
    const flat = evaluateCheck(
      { ...throwing, expectation: 'deviates', deviation: () => 0 },
      { instances: 2, seed: 1 },
    );
    expect(flat.pass).toBe(false);
  });
});

describe('formatTheoryTable', () => {
  it('prints a header, every row id, the tolerances and a pass summary', () => {
    const table = formatTheoryTable(rows);
    const lines = table.split('\n');
    expect(lines[0]).toMatch(/^id\s+\| statement\s+\| assumption\s+\| max dev\s+\| tolerance \| result$/);
    for (const r of rows) expect(table).toContain(r.id);
    expect(table).toContain('≤ 1.0e-6');
    expect(table).toContain('> 1.0e-3');
    expect(lines[lines.length - 1]).toMatch(/^16\/16 checks pass \(8 random instances per row/);
    expect(Math.max(...lines.slice(0, -1).map((l) => l.length))).toBeLessThanOrEqual(150);
  });
});
