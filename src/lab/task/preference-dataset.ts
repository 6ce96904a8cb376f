/**
 * The lab's preference data for reward-model training: per post, two distinct candidate summaries
 * labelled by the simulated labeller (`goldPreference`). Rows use the public preference field names
 * `prompt`, `chosen`, `rejected` (chosen/rejected are responses, without the prompt), plus the facts,
 * the candidate kinds and gold scores for analysis.
 */
import { type LabCandidate, type LabCandidateKind, makeCandidates } from './candidates.ts';
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

export interface PreferenceDatasetOptions {
  seed: number;
  nPairs: number;
  /** Bradley-Terry labelling temperature; default {@link DEFAULT_LABEL_TEMPERATURE}. */
  temperature?: number;
  /** Which split's posts to draw (separate sub-streams of the seed); default `train`. */
  split?: 'train' | 'eval';
}

/** Two candidates with different texts, in random order. */
function drawPair(rng: Rng, candidates: readonly LabCandidate[]): [LabCandidate, LabCandidate] {
  for (;;) {
    const a = candidates[randomInt(rng, candidates.length)]!;
    const b = candidates[randomInt(rng, candidates.length)]!;
    if (a.text !== b.text) return [a, b];
  }
}

function labelledRow(rng: Rng, temperature: number): LabPreferenceRow {
  const post = generatePost(rng);
  const [a, b] = drawPair(rng, makeCandidates(post.facts, rng));
  const label = goldPreference(post.facts, a.text, b.text, rng, { temperature });
  const [chosen, rejected] = label.preferA ? [a, b] : [b, a];
  return {
    prompt: post.query,
    chosen: chosen.text,
    rejected: rejected.text,
    facts: post.facts,
    chosen_kind: chosen.kind,
    rejected_kind: rejected.kind,
    chosen_gold: label.preferA ? label.scoreA : label.scoreB,
    rejected_gold: label.preferA ? label.scoreB : label.scoreA,
  };
}

/** Generates `nPairs` labelled pairs, deterministically from `seed`. */
export function buildPreferenceDataset(opts: PreferenceDatasetOptions): LabPreferenceRow[] {
  if (!Number.isInteger(opts.nPairs) || opts.nPairs < 0)
    throw new Error('nPairs must be a non-negative integer');
  const stream = opts.split === 'eval' ? LAB_STREAMS.preferenceEval : LAB_STREAMS.preferences;
  const rng = createRng(deriveSeed(opts.seed, stream));
  const temperature = opts.temperature ?? DEFAULT_LABEL_TEMPERATURE;
  return Array.from({ length: opts.nPairs }, () => labelledRow(rng, temperature));
}
