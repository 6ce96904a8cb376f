import { describe, expect, it } from 'vitest';
import {
  buildPreferenceDataset,
  createRng,
  DEFAULT_LABEL_TEMPERATURE,
  generateLabDataset,
  goldPreference,
  goldScore,
  type LabFacts,
  lengthBudget,
  makeCandidates,
  preferenceProbability,
  referenceSummary,
  splitLabText,
} from '../../src/lab/task/index.ts';

const EOS = '<|endoftext|>';
const facts: LabFacts = { subject: 'roommate', problem: 'eats-food', ask: 'move-out', situation: null };
const full = ` roommate eats my food , should i move out ?${EOS}`; // gold 3
const partial = ` roommate eats my food ?${EOS}`; // gold 2

/** Fraction of `draws` labels preferring `a`, from one seeded stream. */
function preferenceFrequency(a: string, b: string, temperature: number, draws: number): number {
  const rng = createRng(99);
  let preferA = 0;
  for (let i = 0; i < draws; i++) if (goldPreference(facts, a, b, rng, { temperature }).preferA) preferA++;
  return preferA / draws;
}

describe('goldPreference (Bradley-Terry labeller)', () => {
  const draws = 10_000;
  // 4 binomial standard deviations at p = 1/2, the widest case: 4 * sqrt(0.25 / 10000) = 0.02.
  const tolerance = 0.02;

  it('reports σ(Δ / T) with hand-computed values', () => {
    expect(preferenceProbability(3, 2, 0.5)).toBeCloseTo(0.8807970779778823, 12); // σ(2)
    expect(preferenceProbability(2, 3, 1)).toBeCloseTo(0.2689414213699951, 12); // σ(−1)
    expect(preferenceProbability(2, 2, 0.3)).toBe(0.5);
    expect(preferenceProbability(3, 2, 0)).toBe(1);
    expect(() => preferenceProbability(3, 2, -1)).toThrow(/temperature/);
    const label = goldPreference(facts, full, partial, createRng(1), { temperature: 0.5 });
    expect([label.scoreA, label.scoreB]).toEqual([3, 2]);
    expect(DEFAULT_LABEL_TEMPERATURE).toBe(0.5);
  });

  it('labels with the Bradley-Terry frequencies', () => {
    expect(Math.abs(preferenceFrequency(full, partial, 0.5, draws) - 0.8807970779778823)).toBeLessThan(
      tolerance,
    );
    expect(Math.abs(preferenceFrequency(full, partial, 1, draws) - 0.7310585786300049)).toBeLessThan(
      tolerance,
    );
    expect(Math.abs(preferenceFrequency(partial, full, 1, draws) - 0.2689414213699951)).toBeLessThan(
      tolerance,
    );
    const tie = ` my roommate eats my food . should i move out ?${EOS}`;
    expect(Math.abs(preferenceFrequency(full, tie, 1, draws) - 0.5)).toBeLessThan(tolerance);
  });

  it('never flips a clear pair without noise', () => {
    expect(preferenceFrequency(full, partial, 0, 200)).toBe(1);
  });
});

describe('makeCandidates', () => {
  const { train } = generateLabDataset({ seed: 8, nTrain: 300, nEval: 0 });
  const rng = createRng(2);

  it('makes one candidate per kind, the reference first', () => {
    const candidates = makeCandidates(facts, createRng(4));
    expect(candidates.map((c) => c.kind)).toEqual([
      'reference',
      'drop-fact',
      'swap-fact',
      'repeat-phrase',
      'filler',
      'lengthen',
      'truncate',
    ]);
    expect([referenceSummary(facts, 'plain'), referenceSummary(facts, 'my')]).toContain(candidates[0]!.text);
  });

  it('scores every perturbation below the reference, as designed', () => {
    for (const { facts: postFacts } of train) {
      const [reference, ...perturbed] = makeCandidates(postFacts, rng).map((c) =>
        goldScore(postFacts, c.text),
      );
      expect(reference!.score).toBe(3);
      const byKind = Object.fromEntries(
        ['drop-fact', 'swap-fact', 'repeat-phrase', 'filler', 'lengthen', 'truncate'].map((kind, i) => [
          kind,
          perturbed[i]!,
        ]),
      );
      expect(byKind['drop-fact']!.score).toBe(2);
      // Swapping one fact loses it (coverage 2) and invents the new fact's 1 or 2 keywords.
      expect(byKind['swap-fact']!.counts.factsCovered).toBe(2);
      expect([1.5, 1]).toContain(byKind['swap-fact']!.score);
      expect(byKind['repeat-phrase']!.counts.repeatedTokens).toBeGreaterThan(0);
      for (const kind of ['filler', 'lengthen']) {
        expect(byKind[kind]!.counts.factsCovered).toBe(3);
        expect(byKind[kind]!.counts.inventedKeywords).toEqual([]);
        expect(byKind[kind]!.counts.excessTokens).toBeGreaterThan(0);
      }
      expect(byKind.truncate!.counts.missingQuestionMark).toBe(true);
      for (const other of perturbed) expect(other.score).toBeLessThan(3);
    }
  });

  it('stays mild: never far over the budget nor very repetitive', () => {
    for (const { facts: postFacts } of train) {
      for (const candidate of makeCandidates(postFacts, rng)) {
        const counts = goldScore(postFacts, candidate.text).counts;
        expect(counts.length).toBeLessThanOrEqual(lengthBudget(postFacts) + 4);
        // One repeated phrase: at most a 4-token ask plus the bigram around its comma.
        expect(counts.repeatedTokens).toBeLessThanOrEqual(5);
        expect(counts.inventedKeywords.length).toBeLessThanOrEqual(2);
      }
    }
  });
});

describe('buildPreferenceDataset', () => {
  const rows = buildPreferenceDataset({ seed: 5, nPairs: 1500, temperature: 0.5 });

  it('is deterministic, seed-dependent, and has separate eval posts', () => {
    expect(buildPreferenceDataset({ seed: 5, nPairs: 1500, temperature: 0.5 })).toEqual(rows);
    expect(buildPreferenceDataset({ seed: 6, nPairs: 20 })).not.toEqual(rows.slice(0, 20));
    const evalRows = buildPreferenceDataset({ seed: 5, nPairs: 20, split: 'eval' });
    expect(evalRows.map((r) => r.prompt)).not.toEqual(rows.slice(0, 20).map((r) => r.prompt));
  });

  it('writes distinct chosen/rejected responses with their true gold scores', () => {
    expect(rows).toHaveLength(1500);
    for (const row of rows) {
      expect(row.prompt.endsWith('TL;DR:')).toBe(true);
      expect(row.chosen).not.toBe(row.rejected);
      expect(goldScore(row.facts, row.chosen).score).toBe(row.chosen_gold);
      expect(goldScore(row.facts, row.rejected).score).toBe(row.rejected_gold);
      expect(splitLabText(row.chosen)[0]).not.toBe(EOS);
    }
  });

  it('agrees with the gold judge as often as Bradley-Terry predicts', () => {
    // Expected agreement: mean over pairs of σ(|Δ| / T) (ties count 1/2 on both sides).
    const decided = rows.filter((r) => r.chosen_gold !== r.rejected_gold);
    const expected =
      decided.reduce(
        (sum, r) => sum + preferenceProbability(Math.abs(r.chosen_gold - r.rejected_gold), 0, 0.5),
        0,
      ) / decided.length;
    const observed = decided.filter((r) => r.chosen_gold > r.rejected_gold).length / decided.length;
    // 4 sd of a mean of ≤ 1500 Bernoulli labels: 4 * sqrt(0.25 / 1400) ≈ 0.054.
    expect(Math.abs(observed - expected)).toBeLessThan(0.054);
    expect(observed).toBeGreaterThan(0.6);
    expect(observed).toBeLessThan(0.95);
  });
});
