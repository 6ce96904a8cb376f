/** A judge backed by a deterministic scoring function (the lab's gold judge, or a gold reward model). */
import type { Judge, JudgeItem, Verdict } from './types.ts';

export class ScoreJudge implements Judge {
  constructor(
    readonly name: string,
    private readonly score: (item: JudgeItem, text: string, index: number) => number,
  ) {}

  async judge(items: JudgeItem[]): Promise<Verdict[]> {
    return items.map((item, i) => {
      const p = this.score(item, item.policy, i);
      const r = this.score(item, item.reference, i);
      return p > r ? 1 : p === r ? 0.5 : 0;
    });
  }
}
