/**
 * The gold judge against hand-worked scores. Post: roommate / eats-food / every-weekend /
 * live-together / move-out; its complete summary
 * " roommate eats my food every weekend , we live together , should i move out ?" has 16 tokens, so
 * the length budget is 16 + LENGTH_SLACK 2 = 18. Documented weights (docs/lab-task.md): coverage +1
 * per key fact (times the fraction of its keywords), invented keyword −0.5, repeated token −0.25,
 * token over budget −0.2, missing EOS −1, missing final "?" −0.5, degenerate −2.
 */
import { describe, expect, it } from 'vitest';
import {
  COVERAGE_PER_FACT,
  completeSummary,
  DEGENERATE_PENALTY,
  EXCESS_TOKEN_PENALTY,
  formatSummaryForm,
  generateLabDataset,
  goldScore,
  INVENTED_KEYWORD_PENALTY,
  type LabFacts,
  LENGTH_SLACK,
  lengthBudget,
  MISSING_EOS_PENALTY,
  MISSING_QUESTION_MARK_PENALTY,
  REPEATED_TOKEN_PENALTY,
  TERSE_FORM,
  winRate,
} from '../../src/lab/task/index.ts';

const EOS = '<|endoftext|>';
const facts: LabFacts = {
  subject: 'roommate',
  problem: 'eats-food',
  timing: 'every-weekend',
  context: 'live-together',
  ask: 'move-out',
};
const score = (text: string) => goldScore(facts, text).score;
const complete = ` roommate eats my food every weekend , we live together , should i move out ?${EOS}`;
const terse = ` roommate eats my food , should i move out ?${EOS}`;

describe('gold judge weights', () => {
  it('are the documented values', () => {
    expect([
      COVERAGE_PER_FACT,
      INVENTED_KEYWORD_PENALTY,
      REPEATED_TOKEN_PENALTY,
      EXCESS_TOKEN_PENALTY,
      LENGTH_SLACK,
      MISSING_EOS_PENALTY,
      MISSING_QUESTION_MARK_PENALTY,
      DEGENERATE_PENALTY,
    ]).toEqual([1, 0.5, 0.25, 0.2, 2, 1, 0.5, 2]);
    expect(lengthBudget(facts)).toBe(18);
  });
});

describe('goldScore on hand-written summaries (the worked examples of docs/lab-task.md)', () => {
  it('gives the complete summary all five facts and no penalty: 5', () => {
    const result = goldScore(facts, complete);
    expect(result.score).toBe(5);
    expect(result.parts).toEqual({ coverage: 5, invention: 0, repetition: 0, length: 0, form: 0 });
    expect(completeSummary(facts)).toBe(complete);
    expect(
      score(` my roommate eats my food every weekend . we live together . should i move out ?${EOS}`),
    ).toBe(5);
  });

  it('counts each fact a summary states: terse 3, with timing 4, vague question 4', () => {
    expect(score(terse)).toBe(3);
    expect(formatSummaryForm(facts, TERSE_FORM)).toBe(terse);
    expect(score(` roommate eats my food every weekend , should i move out ?${EOS}`)).toBe(4);
    expect(score(` roommate eats my food , we live together , should i move out ?${EOS}`)).toBe(4);
    expect(score(` roommate eats my food every weekend , we live together , what do i do ?${EOS}`)).toBe(4);
    expect(score(` eats my food , should i move out ?${EOS}`)).toBe(2); // no subject
    expect(score(` roommate eats , should i move out ?${EOS}`)).toBeCloseTo(2.5, 12); // half the problem
  });

  it('penalises invented facts, even next to full coverage', () => {
    // "every day": the timing keyword "weekend" is missing and "day" is another post's timing.
    expect(
      score(` roommate eats my food every day , we live together , should i move out ?${EOS}`),
    ).toBeCloseTo(4 - 0.5, 12);
    // 20 tokens: 2 over budget. Invented: owes, money.
    const stuffed = goldScore(
      facts,
      ` roommate eats my food every weekend , we live together , owes me money , should i move out ?${EOS}`,
    );
    expect(stuffed.counts.inventedKeywords).toEqual(['owes', 'money']);
    expect(stuffed.counts.excessTokens).toBe(2);
    expect(stuffed.score).toBeCloseTo(5 - 1 - 0.4, 12);
  });

  it('penalises repetition by 0.25 per repeated token', () => {
    // "food food food": two tokens equal their predecessor; 18 tokens, within budget.
    const stutter = goldScore(
      facts,
      ` roommate eats my food food food every weekend , we live together , should i move out ?${EOS}`,
    );
    expect(stutter.counts.repeatedTokens).toBe(2);
    expect(stutter.score).toBeCloseTo(5 - 0.5, 12);
    // "eats my food eats my food": bigrams "eats my" and "my food" recur; 13 tokens.
    const phrase = goldScore(facts, ` roommate eats my food eats my food , should i move out ?${EOS}`);
    expect(phrase.counts.repeatedTokens).toBe(2);
    expect(phrase.score).toBeCloseTo(3 - 0.5, 12);
  });

  it('penalises length beyond the budget by 0.2 per token', () => {
    // 24 tokens: 6 over budget; filler words are neutral.
    const padded = ` roommate eats my food every weekend , we live together , thanks in advance , any advice helps , should i move out ?${EOS}`;
    expect(goldScore(facts, padded).counts.length).toBe(24);
    expect(score(padded)).toBeCloseTo(5 - 6 * 0.2, 12);
  });

  it('penalises ill-formed summaries', () => {
    expect(score(complete.slice(0, -EOS.length))).toBeCloseTo(5 - 1, 12); // no EOS
    expect(
      score(` roommate eats my food every weekend , we live together , should i move out${EOS}`),
    ).toBeCloseTo(5 - 0.5, 12); // no "?"
    expect(score(EOS)).toBeCloseTo(-0.5 - 2, 12); // empty
    expect(score('')).toBeCloseTo(-1 - 0.5 - 2, 12);
    // One distinct word: coverage 1, two repeats, degenerate.
    expect(score(` roommate roommate roommate ?${EOS}`)).toBeCloseTo(1 - 0.5 - 2, 12);
  });

  it('reads only up to the first EOS', () => {
    expect(score(`${complete} boss boss boss`)).toBe(5);
    expect(score(`${complete}${EOS}${EOS}`)).toBe(5);
  });

  it('is deterministic and its parts sum to the score', () => {
    const text = ` roommate eats my food food , we live together , owes me money ?`;
    const result = goldScore(facts, text);
    expect(goldScore(facts, text)).toEqual(result);
    const { coverage, invention, repetition, length, form } = result.parts;
    expect(coverage + invention + repetition + length + form).toBeCloseTo(result.score, 12);
  });
});

describe('references against degenerate summaries', () => {
  it('always wins', () => {
    const { train } = generateLabDataset({ seed: 4, nTrain: 300, nEval: 0 });
    for (const row of train) {
      // References state at least the problem and never invent: 1 ≤ score ≤ 5.
      const reference = goldScore(row.facts, row.reference_response).score;
      expect(reference).toBeGreaterThanOrEqual(1);
      expect(reference).toBeLessThanOrEqual(5);
      expect(goldScore(row.facts, completeSummary(row.facts)).score).toBe(5);
      const words = completeSummary(row.facts).trim().split(' ');
      const degenerate = [
        '',
        EOS,
        ` ? ? ?${EOS}`,
        ` ${words[0]} ${words[0]} ?${EOS}`,
        ` ${words[1]} ${words[1]}`,
      ];
      // The strongest degenerate summary: two keywords of the post and "?" (coverage ≤ 2, penalty 2).
      degenerate.push(` ${row.facts.subject} ${words[words.length - 3]} ?${EOS}`);
      for (const text of degenerate) expect(goldScore(row.facts, text).score).toBeLessThanOrEqual(0);
    }
  });
});

describe('winRate', () => {
  const reference = terse;
  const partial = ` roommate eats my food ?${EOS}`;

  it('counts wins 1, ties 1/2 and losses 0', () => {
    const all = [facts, facts, facts, facts];
    // tie (identical), loss (empty vs reference), win (full vs partial), tie (identical partial)
    const policy = [reference, EOS, reference, partial];
    const references = [reference, reference, partial, partial];
    expect(winRate(all, policy, references)).toBe((0.5 + 0 + 1 + 0.5) / 4);
    expect(winRate(all, references, references)).toBe(0.5);
    expect(winRate([facts], [partial], [reference])).toBe(0);
  });

  it('rejects misaligned or empty inputs', () => {
    expect(() => winRate([facts], [reference, reference], [reference])).toThrow(/aligned/);
    expect(() => winRate([], [], [])).toThrow(/at least one/);
  });
});
