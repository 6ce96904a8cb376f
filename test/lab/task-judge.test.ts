/**
 * The gold judge against hand-worked scores. Post: roommate / eats-food / move-out; its plain
 * reference " roommate eats my food , should i move out ?" has 10 tokens, so the length budget is
 * 10 + LENGTH_SLACK 2 = 12. Documented weights (docs/lab-task.md): coverage +1 per fact (times the
 * fraction of its keywords), invented keyword −0.5, repeated token −0.25, token over budget −0.2,
 * missing EOS −1, missing final "?" −0.5, degenerate −2.
 */
import { describe, expect, it } from 'vitest';
import {
  COVERAGE_PER_FACT,
  DEGENERATE_PENALTY,
  EXCESS_TOKEN_PENALTY,
  generateLabDataset,
  goldScore,
  INVENTED_KEYWORD_PENALTY,
  type LabFacts,
  LENGTH_SLACK,
  lengthBudget,
  MISSING_EOS_PENALTY,
  MISSING_QUESTION_MARK_PENALTY,
  REPEATED_TOKEN_PENALTY,
  referenceSummary,
  winRate,
} from '../../src/lab/task/index.ts';

const EOS = '<|endoftext|>';
const facts: LabFacts = {
  subject: 'roommate',
  problem: 'eats-food',
  ask: 'move-out',
  situation: 'we live together',
};
const score = (text: string) => goldScore(facts, text).score;

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
    expect(lengthBudget(facts)).toBe(12);
  });
});

describe('goldScore on hand-written summaries', () => {
  const reference = ` roommate eats my food , should i move out ?${EOS}`;

  it('gives the reference full coverage and no penalty: 3', () => {
    const result = goldScore(facts, reference);
    expect(result.score).toBe(3);
    expect(result.parts).toEqual({ coverage: 3, invention: 0, repetition: 0, length: 0, form: 0 });
    expect(score(` my roommate eats my food . should i move out ?${EOS}`)).toBe(3);
  });

  it('ranks full coverage > partial coverage > invented facts', () => {
    expect(score(` roommate eats my food ?${EOS}`)).toBeCloseTo(2, 12); // ask missing
    expect(score(` roommate eats , should i move out ?${EOS}`)).toBeCloseTo(2.5, 12); // "food" missing: half a fact
    expect(score(` boss eats my food , should i move out ?${EOS}`)).toBeCloseTo(2 - 0.5, 12);
    expect(score(` roommate owes me money , should i move out ?${EOS}`)).toBeCloseTo(2 - 2 * 0.5, 12);
  });

  it('penalises invented facts even next to full coverage', () => {
    // 14 tokens: 2 over budget. Invented: owes, money.
    const result = goldScore(facts, ` roommate eats my food , owes me money , should i move out ?${EOS}`);
    expect(result.counts.inventedKeywords).toEqual(['owes', 'money']);
    expect(result.counts.excessTokens).toBe(2);
    expect(result.score).toBeCloseTo(3 - 1 - 0.4, 12);
  });

  it('penalises repetition by 0.25 per repeated token', () => {
    // "food food food": two tokens equal their predecessor; 12 tokens, within budget.
    const stutter = goldScore(facts, ` roommate eats my food food food , should i move out ?${EOS}`);
    expect(stutter.counts.repeatedTokens).toBe(2);
    expect(stutter.score).toBeCloseTo(3 - 0.5, 12);
    // "eats my food eats my food": bigrams "eats my" and "my food" recur; 13 tokens, 1 over.
    const phrase = goldScore(facts, ` roommate eats my food eats my food , should i move out ?${EOS}`);
    expect(phrase.counts.repeatedTokens).toBe(2);
    expect(phrase.score).toBeCloseTo(3 - 0.5 - 0.2, 12);
  });

  it('penalises length beyond the budget by 0.2 per token', () => {
    // 18 tokens: 6 over budget; context and filler words are neutral.
    const long = ` roommate eats my food , we live together , any advice helps , should i move out ?${EOS}`;
    expect(goldScore(facts, long).counts.length).toBe(18);
    expect(score(long)).toBeCloseTo(3 - 6 * 0.2, 12);
  });

  it('penalises ill-formed summaries', () => {
    expect(score(' roommate eats my food , should i move out ?')).toBeCloseTo(3 - 1, 12); // no EOS
    expect(score(` roommate eats my food , should i move out${EOS}`)).toBeCloseTo(3 - 0.5, 12); // no "?"
    expect(score(EOS)).toBeCloseTo(-0.5 - 2, 12); // empty
    expect(score('')).toBeCloseTo(-1 - 0.5 - 2, 12);
    // One distinct word: coverage 1, two repeats, degenerate.
    expect(score(` roommate roommate roommate ?${EOS}`)).toBeCloseTo(1 - 0.5 - 2, 12);
  });

  it('reads only up to the first EOS', () => {
    expect(score(`${reference} boss boss boss`)).toBe(3);
    expect(score(`${reference}${EOS}${EOS}`)).toBe(3);
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
      // Data references score 3, or 2 when flawed; the faithful plain reference scores 3.
      expect(goldScore(row.facts, row.reference_response).score).toBeGreaterThanOrEqual(2);
      const plain = referenceSummary(row.facts, 'plain');
      expect(goldScore(row.facts, plain).score).toBe(3);
      const words = plain.trim().split(' ');
      const degenerate = [
        '',
        EOS,
        ` ? ? ?${EOS}`,
        ` ${words[0]} ${words[0]} ?${EOS}`,
        ` ${words[1]} ${words[1]}`,
      ];
      // The strongest degenerate summary: two keywords of the post and "?" (coverage ≤ 2, penalty 2).
      degenerate.push(` ${row.facts.subject} ${words[words.length - 3]} ?${EOS}`);
      // Even a flawed reference (2) beats every degenerate summary (≤ 0).
      for (const text of degenerate) expect(goldScore(row.facts, text).score).toBeLessThanOrEqual(0);
    }
  });
});

describe('winRate', () => {
  const reference = ` roommate eats my food , should i move out ?${EOS}`;
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
