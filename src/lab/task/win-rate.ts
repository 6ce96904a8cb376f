/**
 * Win rate against the references, the paper's headline metric, with the gold judge in place of
 * GPT-4o-mini: the fraction of posts where the policy's summary scores above the reference's, a tie
 * counting one half (the judges' rule, src/judges).
 */
import { compareScores, winRateOf } from '../../judges/index.ts';
import type { LabFacts } from './facts.ts';
import { goldScore } from './gold-score.ts';

/** Win rate of `policySummaries` over `referenceSummaries`, post by post (all arrays aligned). */
export function winRate(
  facts: readonly LabFacts[],
  policySummaries: readonly string[],
  referenceSummaries: readonly string[],
): number {
  if (policySummaries.length !== facts.length || referenceSummaries.length !== facts.length) {
    throw new Error(
      `winRate needs aligned arrays, got ${facts.length} facts, ${policySummaries.length} policy and ` +
        `${referenceSummaries.length} reference summaries`,
    );
  }
  if (facts.length === 0) throw new Error('winRate needs at least one post');
  return winRateOf(
    facts.map((postFacts, i) =>
      compareScores(
        goldScore(postFacts, policySummaries[i]!).score,
        goldScore(postFacts, referenceSummaries[i]!).score,
      ),
    ),
  );
}
