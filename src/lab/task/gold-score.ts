/**
 * The gold judge: a transparent, deterministic score of a summary given the post's key facts,
 * standing in for the human/LLM judge of TL;DR. The score is the sum of five parts (weights in
 * `gold-weights.ts`): coverage of key facts, invented facts, repetition, excess length and form.
 * The summary is read up to its first `<|endoftext|>`; anything after it is ignored.
 */
import { ALL_FACT_KEYWORDS } from './fact-catalog.ts';
import { keyFactOptions, type LabFacts, postKeywords } from './facts.ts';
import {
  COVERAGE_PER_FACT,
  DEGENERATE_PENALTY,
  EXCESS_TOKEN_PENALTY,
  INVENTED_KEYWORD_PENALTY,
  LENGTH_SLACK,
  MIN_DISTINCT_WORDS,
  MISSING_EOS_PENALTY,
  MISSING_QUESTION_MARK_PENALTY,
  REPEATED_TOKEN_PENALTY,
} from './gold-weights.ts';
import { EOS_TOKEN, splitLabText } from './lab-text.ts';
import { COMPLETE_FORM, summaryTokens } from './summary.ts';

/** Signed contributions to the score; they sum to `score`. */
export interface GoldScoreParts {
  coverage: number;
  invention: number;
  repetition: number;
  length: number;
  form: number;
}

/** What the judge counted. */
export interface GoldScoreCounts {
  /** Key facts covered, each counted by the fraction of its keywords present (0..5). */
  factsCovered: number;
  /** Distinct keywords of facts this post does not have, in order of appearance. */
  inventedKeywords: string[];
  repeatedTokens: number;
  /** Tokens before EOS, EOS excluded. */
  length: number;
  lengthBudget: number;
  excessTokens: number;
  missingEos: boolean;
  missingQuestionMark: boolean;
  degenerate: boolean;
}

export interface GoldScore {
  score: number;
  parts: GoldScoreParts;
  counts: GoldScoreCounts;
}

/** Tokens allowed for this post: its complete summary (without EOS) plus {@link LENGTH_SLACK}. */
export function lengthBudget(facts: LabFacts): number {
  return summaryTokens(facts, COMPLETE_FORM).length + LENGTH_SLACK;
}

/** Sum over key facts of the fraction of the fact's keywords that occur in `tokens`. */
export function factsCovered(facts: LabFacts, tokens: readonly string[]): number {
  const present = new Set(tokens);
  return keyFactOptions(facts).reduce((sum, fact) => {
    const found = fact.keywords.filter((keyword) => present.has(keyword)).length;
    return sum + found / fact.keywords.length;
  }, 0);
}

/** Distinct fact keywords in `tokens` that belong to no key fact of this post. */
export function inventedKeywords(facts: LabFacts, tokens: readonly string[]): string[] {
  const own = postKeywords(facts);
  const invented = tokens.filter((token) => ALL_FACT_KEYWORDS.has(token) && !own.has(token));
  return [...new Set(invented)];
}

/** Tokens that equal the previous token or complete a bigram that occurred earlier; each counts once. */
export function repeatedTokens(tokens: readonly string[]): number {
  const seenBigrams = new Set<string>();
  let repeated = 0;
  for (let i = 1; i < tokens.length; i++) {
    const bigram = `${tokens[i - 1]} ${tokens[i]}`;
    if (tokens[i] === tokens[i - 1] || seenBigrams.has(bigram)) repeated++;
    seenBigrams.add(bigram);
  }
  return repeated;
}

/** Fewer than {@link MIN_DISTINCT_WORDS} distinct word tokens (punctuation does not count). */
export function isDegenerate(tokens: readonly string[]): boolean {
  const words = new Set(tokens.filter((token) => /^\w+$/.test(token)));
  return words.size < MIN_DISTINCT_WORDS;
}

function countSummary(facts: LabFacts, summaryText: string): GoldScoreCounts {
  const all = splitLabText(summaryText);
  const eosAt = all.indexOf(EOS_TOKEN);
  const tokens = eosAt < 0 ? all : all.slice(0, eosAt);
  const budget = lengthBudget(facts);
  return {
    factsCovered: factsCovered(facts, tokens),
    inventedKeywords: inventedKeywords(facts, tokens),
    repeatedTokens: repeatedTokens(tokens),
    length: tokens.length,
    lengthBudget: budget,
    excessTokens: Math.max(0, tokens.length - budget),
    missingEos: eosAt < 0,
    missingQuestionMark: tokens[tokens.length - 1] !== '?',
    degenerate: isDegenerate(tokens),
  };
}

/** Penalties are written `0 - x` so that an absent penalty is +0, not −0. */
function scoreParts(counts: GoldScoreCounts): GoldScoreParts {
  const form =
    (counts.missingEos ? MISSING_EOS_PENALTY : 0) +
    (counts.missingQuestionMark ? MISSING_QUESTION_MARK_PENALTY : 0) +
    (counts.degenerate ? DEGENERATE_PENALTY : 0);
  return {
    coverage: COVERAGE_PER_FACT * counts.factsCovered,
    invention: 0 - INVENTED_KEYWORD_PENALTY * counts.inventedKeywords.length,
    repetition: 0 - REPEATED_TOKEN_PENALTY * counts.repeatedTokens,
    length: 0 - EXCESS_TOKEN_PENALTY * counts.excessTokens,
    form: 0 - form,
  };
}

/** Scores one summary of the post with these facts. */
export function goldScore(facts: LabFacts, summaryText: string): GoldScore {
  const counts = countSummary(facts, summaryText);
  const parts = scoreParts(counts);
  const score = parts.coverage + parts.invention + parts.repetition + parts.length + parts.form;
  return { score, parts, counts };
}
