/**
 * The pipeline's preference-data step and the proxy-vs-gold diagnostic, with stand-ins for the
 * models so every expected number can be worked out by hand: a fake policy whose "samples" are
 * fixed texts, and fake proxies that score a response by its length (or minus it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPolicyPreferenceData, samplePolicyCandidates } from '../../src/lab/demo/policy-preferences.ts';
import { proxyGoldAgreement } from '../../src/lab/demo/proxy-agreement.ts';
import {
  completeSummary,
  formatSummaryForm,
  generatePreferencePosts,
  goldScore,
  PROBE_KINDS,
  splitLabText,
  TERSE_FORM,
  writeLabTokenizerFiles,
} from '../../src/lab/task/index.ts';
import { Tokenizer } from '../../src/models/tokenizer/index.ts';
import type { Tensor } from '../../src/tensor/index.ts';
import type { LabModels, LMPolicy, ProxyReward } from '../../src/trainers/adapters/index.ts';

const EOS = '<|endoftext|>';
const posts = generatePreferencePosts({ seed: 3, n: 5, split: 'train' });
const policy = {} as LMPolicy & { tokenizer: Tokenizer };

/** A stand-in for the models: sample i of a post is its terse summary (i = 0) or the complete one. */
function fakeModels(calls: { prompts: string[]; seed: number; temperature: number }[]): LabModels {
  return {
    sampleTexts: (_policy, prompts, o) => {
      calls.push({ prompts, seed: o.seed, temperature: o.temperature });
      return prompts.map((prompt, i) => {
        const post = posts.find((p) => p.query === prompt)!;
        // Decoded samples come without the leading space and with a space before EOS.
        const text = i % 2 === 0 ? formatSummaryForm(post.facts, TERSE_FORM) : completeSummary(post.facts);
        return `${text.trim().slice(0, -EOS.length)} ${EOS}`;
      });
    },
  } as Partial<LabModels> as LabModels;
}

describe('buildPolicyPreferenceData', () => {
  it('samples each post k times in batches and puts the reference beside the samples', () => {
    const calls: { prompts: string[]; seed: number; temperature: number }[] = [];
    const candidates = samplePolicyCandidates({
      models: fakeModels(calls),
      policy,
      posts,
      samplesPerPost: 2,
      pairsPerPost: 1,
      temperature: 1,
      maxNewTokens: 24,
      labelTemperature: 0.5,
      seed: 9,
      batchPrompts: 2,
    });
    // 5 posts in batches of 2 prompts: 3 calls of 4, 4 and 2 rows, each with its own seed.
    expect(calls.map((c) => c.prompts.length)).toEqual([4, 4, 2]);
    expect(new Set(calls.map((c) => c.seed)).size).toBe(3);
    expect(calls[0]!.prompts).toEqual([posts[0]!.query, posts[0]!.query, posts[1]!.query, posts[1]!.query]);
    candidates.forEach((c, i) => {
      expect(c.map((x) => x.kind)).toEqual(['policy', 'policy', 'reference']);
      // Samples are respelled like the data, so the judge and the pairing see the same text.
      expect(c[0]!.text).toBe(formatSummaryForm(posts[i]!.facts, TERSE_FORM));
      expect(c[1]!.text).toBe(completeSummary(posts[i]!.facts));
      expect(c[2]!.text).toBe(posts[i]!.reference_response);
    });
  });

  it('labels pairs of distinct candidates with their gold scores', () => {
    const rows = buildPolicyPreferenceData({
      models: fakeModels([]),
      policy,
      posts,
      samplesPerPost: 2,
      pairsPerPost: 3,
      temperature: 1,
      maxNewTokens: 24,
      labelTemperature: 0.5,
      seed: 9,
    });
    // Per post: 3 pairs among terse, complete and reference, fewer when the reference equals a sample.
    const distinct = posts.map(
      (p) =>
        new Set([formatSummaryForm(p.facts, TERSE_FORM), completeSummary(p.facts), p.reference_response])
          .size,
    );
    expect(rows).toHaveLength(distinct.reduce((n, d) => n + (d * (d - 1)) / 2, 0));
    for (const row of rows) {
      expect(row.chosen_gold).toBe(goldScore(row.facts, row.chosen).score);
      expect(row.rejected_gold).toBe(goldScore(row.facts, row.rejected).score);
      expect(['policy', 'reference']).toContain(row.chosen_kind);
    }
  });
});

describe('proxyGoldAgreement', () => {
  const dir = mkdtempSync(join(tmpdir(), 'proxy-agreement-'));
  let tokenizer: Tokenizer;
  beforeAll(async () => {
    await writeLabTokenizerFiles(dir);
    tokenizer = await Tokenizer.fromFolder(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A proxy that scores prompt + response by its token count times `sign`. */
  const lengthProxy = (sign: number): ProxyReward =>
    ({
      tokenizer,
      model: { rewards: (_ids: Tensor, mask: Tensor) => mask.sum(1).mul(sign) },
    }) as unknown as ProxyReward;

  const heldOut = generatePreferencePosts({ seed: 4, n: 12, split: 'eval' });
  const evalPairs = buildPolicyPreferenceData({
    models: {
      sampleTexts: (_p, prompts) =>
        prompts.map((prompt, i) => {
          const post = heldOut.find((p) => p.query === prompt)!;
          return i % 2 === 0 ? formatSummaryForm(post.facts, TERSE_FORM) : completeSummary(post.facts);
        }),
    } as Partial<LabModels> as LabModels,
    policy,
    posts: heldOut,
    samplesPerPost: 2,
    pairsPerPost: 1,
    temperature: 1,
    maxNewTokens: 24,
    labelTemperature: 0.5,
    seed: 1,
  });

  it('a length-loving proxy prefers every probe and the complete summary to the terse one', () => {
    const a = proxyGoldAgreement(lengthProxy(1), evalPairs, heldOut, 48, 5);
    expect(Object.keys(a.probes)).toEqual([...PROBE_KINDS]);
    for (const kind of PROBE_KINDS) expect(a.probes[kind]).toEqual({ pairs: 12, agreement: 0 });
    expect(a.completeOverTerse).toEqual({ pairs: 12, agreement: 1 });
    // In distribution: the share of gold-decided pairs whose better summary is longer (ties ½).
    const decided = evalPairs.filter((r) => r.chosen_gold !== r.rejected_gold);
    const longerWins =
      decided.reduce((s, r) => {
        const [better, worse] =
          r.chosen_gold > r.rejected_gold ? [r.chosen, r.rejected] : [r.rejected, r.chosen];
        const d = splitLabText(better).length - splitLabText(worse).length;
        return s + (d > 0 ? 1 : d === 0 ? 0.5 : 0);
      }, 0) / decided.length;
    expect(a.inDistribution.pairs).toBe(decided.length);
    expect(a.inDistribution.agreement).toBeCloseTo(longerWins, 12);
  });

  it('a length-hating proxy agrees with gold on every probe', () => {
    const a = proxyGoldAgreement(lengthProxy(-1), evalPairs, heldOut, 48, 5);
    for (const kind of PROBE_KINDS) expect(a.probes[kind].agreement).toBe(1);
    expect(a.completeOverTerse.agreement).toBe(0);
  });
});
