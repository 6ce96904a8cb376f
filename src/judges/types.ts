/** A pairwise judge decides, post by post, whether a policy summary beats the reference summary. */
export interface JudgeItem {
  /** The post (prompt) being summarised. */
  post: string;
  policy: string;
  reference: string;
}

/** 1 = policy wins, 0 = reference wins, 0.5 = tie or no usable verdict. */
export type Verdict = 0 | 0.5 | 1;

export interface Judge {
  /** Names the judge in metrics and reports (win rates move a lot with the judge). */
  readonly name: string;
  judge(items: JudgeItem[]): Promise<Verdict[]>;
}

/** The verdict of two scores of the same post: the higher wins, equal scores tie. */
export function compareScores(policyScore: number, referenceScore: number): Verdict {
  return policyScore > referenceScore ? 1 : policyScore === referenceScore ? 0.5 : 0;
}

/** Win rate with ties counted as half. */
export function winRateOf(verdicts: Verdict[]): number {
  if (verdicts.length === 0) throw new Error('win rate of zero judgements');
  return verdicts.reduce<number>((s, v) => s + v, 0) / verdicts.length;
}
