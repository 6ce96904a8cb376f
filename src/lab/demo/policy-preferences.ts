/**
 * The pipeline's preference-data step, as in the real RLHF pipeline (Stiennon et al. 2020; the TL;DR
 * preference set): sample summaries of each post from the SFT policy, put the reference beside them,
 * and have the simulated labeller compare pairs (Bradley-Terry noise on gold scores). A reward model
 * trained on these pairs sees the SFT policy's own outputs, so it tracks gold near the SFT
 * distribution and is unconstrained far from it.
 */
import type { Tokenizer } from '../../models/index.ts';
import type { LabModels, LMPolicy } from '../../trainers/adapters/index.ts';
import {
  canonicalSummary,
  createRng,
  deriveSeed,
  type LabCandidate,
  type LabPreferenceRow,
  type LabSftRow,
  labelPreferencePairs,
} from '../task/index.ts';

export interface PolicyPreferenceOptions {
  models: LabModels;
  /** The policy whose samples are compared (the SFT policy). */
  policy: LMPolicy & { tokenizer: Tokenizer };
  /** The posts to summarise, with their references and facts. */
  posts: readonly LabSftRow[];
  /** Summaries sampled per post. */
  samplesPerPost: number;
  /** Labelled pairs per post, drawn among its distinct samples and its reference. */
  pairsPerPost: number;
  /** Sampling temperature of the policy. */
  temperature: number;
  maxNewTokens: number;
  /** Bradley-Terry temperature of the labeller. */
  labelTemperature: number;
  seed: number;
  /** Prompts per generation batch. */
  batchPrompts?: number;
}

/** Candidates per post: `samplesPerPost` policy samples (in the data's spelling), then the reference. */
export function samplePolicyCandidates(o: PolicyPreferenceOptions): LabCandidate[][] {
  const batchPrompts = o.batchPrompts ?? 64;
  const candidates: LabCandidate[][] = [];
  for (let start = 0; start < o.posts.length; start += batchPrompts) {
    const posts = o.posts.slice(start, start + batchPrompts);
    const prompts = posts.flatMap((post) => Array<string>(o.samplesPerPost).fill(post.query));
    const texts = o.models.sampleTexts(o.policy, prompts, {
      temperature: o.temperature,
      seed: deriveSeed(o.seed, start),
      maxNewTokens: o.maxNewTokens,
    });
    posts.forEach((post, i) => {
      const samples = texts.slice(i * o.samplesPerPost, (i + 1) * o.samplesPerPost);
      candidates.push([
        ...samples.map((text): LabCandidate => ({ kind: 'policy', text: canonicalSummary(text) })),
        { kind: 'reference', text: post.reference_response },
      ]);
    });
  }
  return candidates;
}

/** SFT samples + references → gold-labelled preference rows (the reward model's training data). */
export function buildPolicyPreferenceData(o: PolicyPreferenceOptions): LabPreferenceRow[] {
  const candidates = samplePolicyCandidates(o);
  const posts = o.posts.map((post, i) => ({
    prompt: post.query,
    facts: post.facts,
    candidates: candidates[i]!,
  }));
  return labelPreferencePairs(posts, createRng(deriveSeed(o.seed, 1)), {
    pairsPerPost: o.pairsPerPost,
    temperature: o.labelTemperature,
  });
}
