/**
 * The gold judge's weights (documented in docs/lab-task.md). The complete summary scores exactly
 * 5 × {@link COVERAGE_PER_FACT} = 5: it covers all five key facts and triggers no penalty; a terse
 * one (subject, problem, question) scores 3.
 */

/** Reward per key fact (subject, problem, timing, context, ask), times the fraction of its keywords present. */
export const COVERAGE_PER_FACT = 1.0;

/** Penalty per distinct keyword of a fact this post does not have (an invented fact). */
export const INVENTED_KEYWORD_PENALTY = 0.5;

/** Penalty per repeated token: one that equals the previous token or closes a bigram seen before. */
export const REPEATED_TOKEN_PENALTY = 0.25;

/** Penalty per token beyond the length budget. */
export const EXCESS_TOKEN_PENALTY = 0.2;

/** Tokens allowed beyond the post's plain reference summary (EOS not counted). */
export const LENGTH_SLACK = 2;

/** Penalty when the summary has no `<|endoftext|>` (it ran out of length), as TL;DR PPO's −1. */
export const MISSING_EOS_PENALTY = 1.0;

/** Penalty when the last token before EOS is not `?` (every TL;DR here ends with the question). */
export const MISSING_QUESTION_MARK_PENALTY = 0.5;

/** Penalty when the summary has fewer than {@link MIN_DISTINCT_WORDS} distinct words (empty included). */
export const DEGENERATE_PENALTY = 2.0;

/** Distinct word tokens (punctuation excluded) a well-formed summary needs at least. */
export const MIN_DISTINCT_WORDS = 3;
