/**
 * The `rl` command's periodic evaluation on fixed held-out prompts: greedy summaries (deterministic
 * given the weights) scored by the reward model (`proxy_reward`) and, with `judge: lab`, by the lab's
 * gold judge (`gold_score`, and `win_rate` against the file's reference summaries). The trainer
 * logs them as eval/*.
 */
import { readFileSync } from 'node:fs';
import { loadSftDataset } from '../data/index.ts';
import { HttpJudge, winRateOf } from '../judges/index.ts';
import { goldScore, type LabFacts, winRate } from '../lab/task/index.ts';
import type { Tokenizer } from '../models/index.ts';
import { LabModels, type LMPolicy, type ProxyReward } from '../trainers/adapters/index.ts';
import type { Evaluator } from '../trainers/online/types.ts';
import type { RlCommandConfig } from './configs.ts';

export interface RlEvalSpec {
  eval: NonNullable<RlCommandConfig['eval']>;
  policy: LMPolicy & { tokenizer: Tokenizer };
  proxy: ProxyReward;
  maxPromptTokens: number;
  maxNewTokens: number;
  /** Receives a few prompts with their greedy summaries and references after each evaluation (TensorBoard text). */
  onSamples?: (step: number, markdown: string) => void;
}

/** How many held-out posts the text samples show. */
const SHOWN_SAMPLES = 4;

export async function makeRlEvaluator(spec: RlEvalSpec): Promise<Evaluator> {
  const rows = (await loadSftDataset(spec.eval.prompts, { limit: spec.eval.count, onBadRow: 'fail' }))
    .examples;
  const prompts = rows.map((r) => r.prompt);
  const references = rows.map((r) => r.completion);
  const facts =
    spec.eval.judge === 'lab'
      ? readFacts(
          spec.eval.prompts,
          rows.map((r) => r.row),
        )
      : null;
  const models = new LabModels(spec.maxPromptTokens);
  const maxNewTokens = spec.eval.maxNewTokens ?? spec.maxNewTokens;
  const judge = spec.eval.judge === 'http' ? httpJudge(spec.eval.judgeHttp!) : null;
  return async (_policy, step) => {
    const texts = models.sampleTexts(spec.policy, prompts, {
      greedy: true,
      temperature: 1,
      seed: 0,
      maxNewTokens,
    });
    spec.onSamples?.(step, samplesMarkdown(prompts, texts, references));
    return {
      proxy_reward: models.scoreTexts(spec.proxy, prompts, texts),
      ...(await judgeTexts({ prompts, references, facts, judge }, texts)),
    };
  };
}

/** A Markdown table of the first posts, the policy's greedy summary and the reference. */
function samplesMarkdown(prompts: string[], texts: string[], references: string[]): string {
  const cell = (t: string) => t.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();
  const rows = prompts
    .slice(0, SHOWN_SAMPLES)
    .map((p, i) => `| ${cell(p)} | ${cell(texts[i]!)} | ${cell(references[i]!)} |`);
  return ['| post | policy (greedy) | reference |', '| --- | --- | --- |', ...rows].join('\n');
}

/** What a judge needs of the held-out posts: the lab's facts (gold judge) and/or an HTTP judge. */
export interface JudgedPosts {
  prompts: string[];
  references: string[];
  facts: LabFacts[] | null;
  judge: HttpJudge | null;
}

/**
 * Gold score and win rate of `texts` (one per post) against the references: by the lab's gold judge
 * when the posts have facts, by the HTTP judge when one is configured (its win rate then wins).
 */
export async function judgeTexts(posts: JudgedPosts, texts: string[]): Promise<Record<string, number>> {
  const { prompts, references, facts, judge } = posts;
  const out: Record<string, number> = facts ? goldJudge(facts, texts, references) : {};
  if (judge) {
    const verdicts = await judge.judge(
      prompts.map((post, i) => ({ post, policy: texts[i]!, reference: references[i]! })),
    );
    out.win_rate = winRateOf(verdicts);
    out.judge_unparsed = judge.unparsed;
  }
  return out;
}

/** The lab's gold judge of `texts` (one per post): mean gold score, and win rate against the references. */
export function goldJudge(
  facts: readonly LabFacts[],
  texts: readonly string[],
  references: readonly string[],
): { gold_score: number; win_rate: number } {
  return {
    gold_score: texts.reduce((sum, t, i) => sum + goldScore(facts[i]!, t).score, 0) / texts.length,
    win_rate: winRate(facts, texts, references),
  };
}

export function httpJudge(c: NonNullable<RlEvalSpec['eval']['judgeHttp']>): HttpJudge {
  const apiKey = c.apiKeyEnv ? process.env[c.apiKeyEnv] : undefined;
  if (c.apiKeyEnv && !apiKey)
    throw new Error(`eval.judgeHttp.apiKeyEnv: environment variable ${c.apiKeyEnv} is not set`);
  return new HttpJudge({
    baseUrl: c.baseUrl,
    model: c.model,
    apiKey,
    timeoutMs: c.timeoutMs,
    maxRetries: c.maxRetries,
    concurrency: c.concurrency,
    maxUnparsedFraction: c.maxUnparsedFraction,
  });
}

/** The lab judge's `facts` of the given (1-based) lines of a .jsonl file. */
export function readFacts(spec: string | readonly string[], lines: number[]): LabFacts[] {
  const path = typeof spec === 'string' ? spec : spec.length === 1 ? spec[0]! : '';
  if (!path)
    throw new Error('eval.judge "lab" reads the facts of each row from one .jsonl file, not a list of files');
  if (!path.endsWith('.jsonl'))
    throw new Error(`eval.judge "lab" reads the facts of each row from a .jsonl file; ${path} is not one`);
  const text = readFileSync(path, 'utf8').split('\n');
  return lines.map((line) => {
    const facts = (JSON.parse(text[line - 1]!) as { facts?: LabFacts }).facts;
    if (!facts)
      throw new Error(
        `${path}: row ${line}: field "facts" is missing; eval.judge "lab" only works on the lab's files (use judge: none)`,
      );
    return facts;
  });
}
