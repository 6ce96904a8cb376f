/**
 * Gold evaluation of a policy on fixed held-out lab posts: greedy summaries (deterministic given
 * the weights) scored by the gold judge, the win rate against the reference TL;DRs, and — when a
 * proxy reward model is given — the proxy's mean reward of the same summaries.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSftDataset } from '../../data/index.ts';
import { goldJudge } from '../../experiments/evaluation.ts';
import { writeFileAtomic } from '../../io/atomic-write.ts';
import type { Tokenizer } from '../../models/index.ts';
import { MetricsLog } from '../../runs/metrics-log.ts';
import { noGrad } from '../../tensor/index.ts';
import type { LabModels, LMPolicy, ProxyReward } from '../../trainers/adapters/index.ts';
import { LAB_FILES, type LabFacts } from '../task/index.ts';
import { readEvalFacts } from './lab-files.ts';

export class GoldEvaluation {
  private constructor(
    private readonly models: LabModels,
    private readonly prompts: string[],
    private readonly references: string[],
    private readonly facts: LabFacts[],
    private readonly maxNewTokens: number,
  ) {}

  static async create(
    models: LabModels,
    dataDir: string,
    n: number,
    maxNewTokens: number,
  ): Promise<GoldEvaluation> {
    const rows = (await loadSftDataset(join(dataDir, LAB_FILES.sftEval))).examples.slice(0, n);
    return new GoldEvaluation(
      models,
      rows.map((r) => r.prompt),
      rows.map((r) => r.completion),
      readEvalFacts(dataDir, rows.length),
      maxNewTokens,
    );
  }

  /** Number of evaluation posts. */
  get size(): number {
    return this.prompts.length;
  }

  evaluate(policy: LMPolicy & { tokenizer: Tokenizer }, proxy?: ProxyReward): Record<string, number> {
    return noGrad(() => {
      const texts = this.models.sampleTexts(policy, this.prompts, {
        greedy: true,
        temperature: 1,
        seed: 0,
        maxNewTokens: this.maxNewTokens,
      });
      const out: Record<string, number> = goldJudge(this.facts, texts, this.references);
      if (proxy) out.proxy_reward = this.models.scoreTexts(proxy, this.prompts, texts);
      return out;
    });
  }

  /**
   * `evaluate` of a policy that every caller holds with the same weights (the SFT policy at step 0
   * of each online run): computed once and kept in `file`, which the caller's folder scheme must
   * clear when the weights, the posts or the proxy change.
   */
  evaluateShared(
    file: string,
    policy: LMPolicy & { tokenizer: Tokenizer },
    proxy?: ProxyReward,
  ): Record<string, number> {
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>;
    const out = this.evaluate(policy, proxy);
    writeFileAtomic(file, `${JSON.stringify(out)}\n`);
    return out;
  }

  /** Appends the final model's gold evaluation to a finished offline run's metrics (once). */
  async recordFinal(runDir: string, proxy: ProxyReward): Promise<void> {
    if (hasFinalEvaluation(runDir)) return;
    const log = new MetricsLog(join(runDir, 'metrics.jsonl'));
    const policy = await this.models.loadPolicy(join(runDir, 'model'), { trainable: false });
    try {
      const m = this.evaluate(policy, proxy);
      log.append({
        step: log.read().at(-1)?.step ?? 0,
        ...Object.fromEntries(Object.entries(m).map(([k, v]) => [`eval/${k}`, v])),
      });
    } finally {
      policy.model.dispose();
    }
  }
}

/** True when a finished offline run's metrics hold its gold evaluation (`recordFinal` ran). */
export function hasFinalEvaluation(runDir: string): boolean {
  const file = join(runDir, 'metrics.jsonl');
  return existsSync(file) && new MetricsLog(file).read().some((l) => 'eval/win_rate' in l);
}
