/**
 * Preference pairs for reward-model and preference-optimisation training, as in the real pipeline:
 * for each post, pairs of distinct candidate summaries (policy samples and the reference) labelled
 * by the simulated labeller (`goldPreference`, Bradley-Terry noise on gold scores). Rows use the
 * public preference field names `prompt`, `chosen`, `rejected` (responses without the prompt), plus
 * the facts, the candidates' kinds and gold scores for analysis.
 *
 * The demo builds its candidates by sampling the SFT policy (`buildPolicyPreferenceData` in
 * `src/lab/demo/policy-preferences.ts`); {@link buildPreferenceDataset} is a model-free stand-in
 * whose candidates are summaries in random forms, for tests and tools that need rows without a policy.
 */
import { type LabCandidate, type LabCandidateKind, randomFormSummary } from './candidates.ts';
import { LAB_STREAMS } from './dataset.ts';
import type { LabFacts } from './facts.ts';
import { DEFAULT_LABEL_TEMPERATURE, goldPreference } from './gold-preference.ts';
import { generatePost } from './post.ts';
import { createRng, deriveSeed, type Rng, randomInt } from './rng.ts';

/** One labelled pair. */
export interface LabPreferenceRow {
  prompt: string;
  chosen: string;
  rejected: string;
  facts: LabFacts;
  chosen_kind: LabCandidateKind;
  rejected_kind: LabCandidateKind;
  chosen_gold: number;
  rejected_gold: number;
}

/** A post with the candidate summaries a labeller may compare. */
export interface PostCandidates {
  prompt: string;
  facts: LabFacts;
  candidates: readonly LabCandidate[];
}

export interface LabelPairsOptions {
  /** Pairs drawn per post (fewer when the post has fewer distinct pairs). */
  pairsPerPost: number;
  /** Bradley-Terry labelling temperature; default {@link DEFAULT_LABEL_TEMPERATURE}. */
  temperature?: number;
}

/** The distinct-text candidates of a post, first occurrence kept (a policy may repeat itself). */
function distinctCandidates(candidates: readonly LabCandidate[]): LabCandidate[] {
  const seen = new Set<string>();
  return candidates.filter((c) => !seen.has(c.text) && Boolean(seen.add(c.text)));
}

/** Up to `count` distinct unordered pairs of `n` items, uniformly without replacement, in random order. */
function drawPairs(rng: Rng, n: number, count: number): [number, number][] {
  const all: [number, number][] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) all.push([i, j]);
  const drawn: [number, number][] = [];
  while (drawn.length < count && all.length > 0) {
    const [i, j] = all.splice(randomInt(rng, all.length), 1)[0]!;
    drawn.push(randomInt(rng, 2) === 0 ? [i, j] : [j, i]);
  }
  return drawn;
}

/**
 * Labels pairs of each post's candidates with `goldPreference`, deterministically from `rng`.
 * Posts whose candidates all share one text give no pair.
 */
export function labelPreferencePairs(
  posts: readonly PostCandidates[],
  rng: Rng,
  opts: LabelPairsOptions,
): LabPreferenceRow[] {
  if (!Number.isInteger(opts.pairsPerPost) || opts.pairsPerPost < 1)
    throw new Error(`pairsPerPost must be a positive integer, got ${opts.pairsPerPost}`);
  const temperature = opts.temperature ?? DEFAULT_LABEL_TEMPERATURE;
  const rows: LabPreferenceRow[] = [];
  for (const post of posts) {
    const candidates = distinctCandidates(post.candidates);
    for (const [i, j] of drawPairs(rng, candidates.length, opts.pairsPerPost)) {
      const [a, b] = [candidates[i]!, candidates[j]!];
      const label = goldPreference(post.facts, a.text, b.text, rng, { temperature });
      const [chosen, rejected] = label.preferA ? [a, b] : [b, a];
      rows.push({
        prompt: post.prompt,
        chosen: chosen.text,
        rejected: rejected.text,
        facts: post.facts,
        chosen_kind: chosen.kind,
        rejected_kind: rejected.kind,
        chosen_gold: label.preferA ? label.scoreA : label.scoreB,
        rejected_gold: label.preferA ? label.scoreB : label.scoreA,
      });
    }
  }
  return rows;
}

export interface PreferenceDatasetOptions {
  seed: number;
  nPairs: number;
  /** Bradley-Terry labelling temperature; default {@link DEFAULT_LABEL_TEMPERATURE}. */
  temperature?: number;
  /** Which split's posts to draw (separate sub-streams of the seed); default `train`. */
  split?: 'train' | 'eval';
}

/**
 * `nPairs` labelled pairs without a policy, one per post: the reference against a summary in a
 * random form, or two random-form summaries, deterministically from `seed`.
 */
export function buildPreferenceDataset(opts: PreferenceDatasetOptions): LabPreferenceRow[] {
  if (!Number.isInteger(opts.nPairs) || opts.nPairs < 0)
    throw new Error('nPairs must be a non-negative integer');
  const stream = opts.split === 'eval' ? LAB_STREAMS.preferenceEval : LAB_STREAMS.preferences;
  const rng = createRng(deriveSeed(opts.seed, stream));
  const rows: LabPreferenceRow[] = [];
  while (rows.length < opts.nPairs) {
    const post = generatePost(rng);
    const candidates: LabCandidate[] = [
      { kind: 'reference', text: post.reference_response },
      { kind: 'form', text: randomFormSummary(post.facts, rng) },
      { kind: 'form', text: randomFormSummary(post.facts, rng) },
    ];
    const labelled = labelPreferencePairs([{ prompt: post.query, facts: post.facts, candidates }], rng, {
      pairsPerPost: 1,
      temperature: opts.temperature,
    });
    rows.push(...labelled);
  }
  return rows;
}
