/**
 * How far the proxy reward model can be trusted, measured against the gold judge:
 *   - in distribution: held-out pairs of SFT samples and references (the reward model's own kind of
 *     data), the fraction of gold-decided pairs the proxy orders as gold does;
 *   - headroom: the complete summary against the terse one (gold 5 vs 3), which RL must find;
 *   - off distribution: the terse summary against each probe of `offDistributionProbes` (long,
 *     looping, keyword-stuffed, doubled, unterminated), which gold always ranks lower. Agreement far
 *     below 1 there means a policy can gain proxy reward by moving there while losing gold.
 */

import { noGrad, tidy } from '../../tensor/index.ts';
import type { ProxyReward } from '../../trainers/adapters/index.ts';
import { leftPadded } from '../../trainers/adapters/index.ts';
import {
  completeSummary,
  createRng,
  formatSummaryForm,
  type LabPreferenceRow,
  type LabSftRow,
  offDistributionProbes,
  PROBE_KINDS,
  type ProbeKind,
  TERSE_FORM,
} from '../task/index.ts';

export interface PairAgreement {
  pairs: number;
  /** Fraction of pairs the proxy orders as the gold judge does (proxy ties count ½). */
  agreement: number;
}

export interface ProxyAgreement {
  inDistribution: PairAgreement;
  completeOverTerse: PairAgreement;
  probes: Record<ProbeKind, PairAgreement>;
}

/** Proxy rewards of (prompt, response) texts, one per row, in batches. */
export function proxyScores(
  proxy: ProxyReward,
  prompts: readonly string[],
  texts: readonly string[],
  maxPromptTokens: number,
  batchSize = 64,
): number[] {
  const out: number[] = [];
  for (let start = 0; start < texts.length; start += batchSize) {
    const rows = texts
      .slice(start, start + batchSize)
      .map((text, i) => [
        ...proxy.tokenizer.encode(prompts[start + i]!).slice(-maxPromptTokens),
        ...proxy.tokenizer.encode(text),
      ]);
    const scores = noGrad(() =>
      tidy(() => {
        const batch = leftPadded(
          rows,
          proxy.tokenizer.padId,
          rows.map((_, i) => i),
        );
        return proxy.model.rewards(batch.ids, batch.mask).toArray();
      }),
    );
    out.push(...Array.from(scores, Number));
  }
  return out;
}

/** Agreement of proxy-score pairs (better, worse) where gold ranks the first higher. */
function agreementOf(better: readonly number[], worse: readonly number[]): PairAgreement {
  let agree = 0;
  better.forEach((b, i) => {
    agree += b > worse[i]! ? 1 : b === worse[i]! ? 0.5 : 0;
  });
  return { pairs: better.length, agreement: better.length ? agree / better.length : Number.NaN };
}

export function proxyGoldAgreement(
  proxy: ProxyReward,
  evalPairs: readonly LabPreferenceRow[],
  posts: readonly LabSftRow[],
  maxPromptTokens: number,
  seed: number,
): ProxyAgreement {
  const score = (prompts: string[], texts: string[]) => proxyScores(proxy, prompts, texts, maxPromptTokens);
  const decided = evalPairs.filter((r) => r.chosen_gold !== r.rejected_gold);
  const betterFirst = decided.map((r) =>
    r.chosen_gold > r.rejected_gold ? [r.chosen, r.rejected] : [r.rejected, r.chosen],
  );
  const prompts = decided.map((r) => r.prompt);
  const inDistribution = agreementOf(
    score(
      prompts,
      betterFirst.map((p) => p[0]!),
    ),
    score(
      prompts,
      betterFirst.map((p) => p[1]!),
    ),
  );
  const postPrompts = posts.map((p) => p.query);
  const terse = score(
    postPrompts,
    posts.map((p) => formatSummaryForm(p.facts, TERSE_FORM)),
  );
  const complete = score(
    postPrompts,
    posts.map((p) => completeSummary(p.facts)),
  );
  const rng = createRng(seed);
  const probeTexts = posts.map((p) => offDistributionProbes(p.facts, rng));
  const probes = {} as Record<ProbeKind, PairAgreement>;
  PROBE_KINDS.forEach((kind, k) => {
    const texts = probeTexts.map((ps) => ps[k]!.text);
    probes[kind] = agreementOf(terse, score(postPrompts, texts));
  });
  return { inDistribution, completeOverTerse: agreementOf(complete, terse), probes };
}
