import { describe, expect, it } from 'vitest';
import {
  buildPreferenceDataset,
  canonicalSummary,
  completeSummary,
  createRng,
  DEFAULT_LABEL_TEMPERATURE,
  formatSummaryForm,
  generateLabDataset,
  goldPreference,
  goldScore,
  type LabCandidate,
  type LabFacts,
  labelPreferencePairs,
  lengthBudget,
  offDistributionProbes,
  PROBE_KINDS,
  preferenceProbability,
  splitLabText,
  TERSE_FORM,
} from '../../src/lab/task/index.ts';

const EOS = '<|endoftext|>';
const facts: LabFacts = {
  subject: 'roommate',
  problem: 'eats-food',
  timing: 'every-weekend',
  context: 'live-together',
  ask: 'move-out',
};
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

describe('offDistributionProbes', () => {
  const { train } = generateLabDataset({ seed: 8, nTrain: 300, nEval: 0 });
  const rng = createRng(2);

  it('spells out the probes of a known post by hand', () => {
    const probes = offDistributionProbes(facts, createRng(4));
    const [unfaithful, stuffed, looped, padded, doubled, unterminated] = probes;
    expect(probes.map((c) => c.kind)).toEqual([...PROBE_KINDS]);
    // Another post's timing, context and question in the complete layout: subject and problem only.
    const u = goldScore(facts, unfaithful!.text);
    expect(u.counts.factsCovered).toBe(2);
    expect(u.counts.length).toBeGreaterThanOrEqual(13);
    expect(unfaithful!.text).toMatch(/^ roommate eats my food \w+ .*, .* , .* \?<\|endoftext\|>$/);
    const complete = ' roommate eats my food every weekend , we live together , should i move out ?';
    expect(doubled!.text).toBe(`${complete}${complete}${EOS}`);
    expect(looped!.text).toBe(
      ` roommate eats my food eats my food eats my food eats my food eats my food every weekend , we live together , should i move out ?${EOS}`,
    );
    expect(unterminated!.text.startsWith(complete)).toBe(true);
    expect(unterminated!.text).not.toContain(EOS);
    expect(stuffed!.text.startsWith(complete.slice(0, -2))).toBe(true);
    expect(padded!.text.startsWith(complete.slice(0, -2))).toBe(true);
  });

  it('scores every probe below the terse summary (3), as designed', () => {
    for (const { facts: postFacts } of train) {
      const probes = offDistributionProbes(postFacts, rng);
      expect(goldScore(postFacts, formatSummaryForm(postFacts, TERSE_FORM)).score).toBe(3);
      const counts = Object.fromEntries(probes.map((p) => [p.kind, goldScore(postFacts, p.text).counts]));
      for (const probe of probes) expect(goldScore(postFacts, probe.text).score, probe.kind).toBeLessThan(3);
      expect(counts.stuffed!.inventedKeywords.length).toBeGreaterThanOrEqual(3);
      expect(counts.unfaithful!.inventedKeywords.length).toBeGreaterThanOrEqual(3);
      expect([counts.unfaithful!.missingEos, counts.unfaithful!.missingQuestionMark]).toEqual([false, false]);
      expect(counts.looped!.repeatedTokens).toBeGreaterThanOrEqual(7);
      expect(counts.padded!.excessTokens).toBeGreaterThanOrEqual(8);
      expect(counts.doubled!.excessTokens).toBeGreaterThan(lengthBudget(postFacts) - 6);
      expect(counts.unterminated!.missingEos).toBe(true);
    }
  });

  it('are longer than anything a reference or the complete summary is, except the unfaithful one', () => {
    for (const { facts: postFacts, reference_response: reference } of train) {
      const longest = Math.max(
        splitLabText(reference).length,
        splitLabText(completeSummary(postFacts)).length,
      );
      for (const probe of offDistributionProbes(postFacts, rng).slice(1))
        expect(splitLabText(probe.text).length).toBeGreaterThan(longest);
    }
  });
});

describe('labelPreferencePairs', () => {
  const candidates: LabCandidate[] = [
    { kind: 'policy', text: full },
    { kind: 'policy', text: canonicalSummary('roommate eats my food , should i move out ? <|endoftext|>') },
    { kind: 'policy', text: partial },
    { kind: 'reference', text: completeSummary(facts) },
  ];
  const post = { prompt: 'P', facts, candidates };

  it('pairs distinct texts only, each pair once, and records their gold scores', () => {
    // The second candidate is the first one's spelling with other spaces: 3 distinct texts, 3 pairs.
    const rows = labelPreferencePairs([post], createRng(3), { pairsPerPost: 10 });
    expect(rows).toHaveLength(3);
    const pairs = rows.map((r) => [r.chosen, r.rejected].sort().join('|'));
    expect(new Set(pairs).size).toBe(3);
    for (const r of rows) {
      expect(r.chosen).not.toBe(r.rejected);
      expect(r.chosen_gold).toBe(goldScore(facts, r.chosen).score);
      expect(r.rejected_gold).toBe(goldScore(facts, r.rejected).score);
      expect(r.prompt).toBe('P');
    }
    expect(labelPreferencePairs([post], createRng(3), { pairsPerPost: 2 })).toHaveLength(2);
    const alone = { ...post, candidates: [candidates[0]!, candidates[1]!] };
    expect(labelPreferencePairs([alone], createRng(3), { pairsPerPost: 2 })).toEqual([]);
    expect(() => labelPreferencePairs([post], createRng(3), { pairsPerPost: 0 })).toThrow(/pairsPerPost/);
  });

  it('labels by Bradley-Terry: the complete summary (5) beats the partial one (2) w.p. σ(6)', () => {
    const pair = { ...post, candidates: [candidates[2]!, candidates[3]!] };
    const rng = createRng(17);
    let wins = 0;
    const draws = 4000;
    for (let i = 0; i < draws; i++)
      wins +=
        labelPreferencePairs([pair], rng, { pairsPerPost: 1, temperature: 0.5 })[0]!.chosen_gold === 5
          ? 1
          : 0;
    // σ(3 / 0.5) = 0.997527; sd sqrt(0.0025 / 4000) ≈ 0.0008: 4 sd plus rounding.
    expect(Math.abs(wins / draws - 0.9975273768433653)).toBeLessThan(0.004);
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
      expect([row.chosen_kind, row.rejected_kind].every((k) => k === 'reference' || k === 'form')).toBe(true);
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
