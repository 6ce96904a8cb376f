/**
 * The lab's SFT data set: posts with reference TL;DRs, in the public TL;DR SFT field names
 * (`query`, `reference_response`) plus the structured `facts` the gold judge needs. Train and eval
 * come from separate sub-streams of the seed; eval never repeats a train prompt.
 */
import type { LabFacts } from './facts.ts';
import { generatePost } from './post.ts';
import { createRng, deriveSeed } from './rng.ts';

/** One SFT row. */
export interface LabSftRow {
  query: string;
  reference_response: string;
  facts: LabFacts;
}

/** Train and eval splits. */
export interface LabDataset {
  train: LabSftRow[];
  eval: LabSftRow[];
}

export interface LabDatasetOptions {
  seed: number;
  nTrain: number;
  nEval: number;
}

/** Sub-stream ids of a seed, so the splits do not shift when another split's size changes. */
export const LAB_STREAMS = { train: 1, eval: 2, preferences: 3, preferenceEval: 4 } as const;

/** Draws that may be spent per eval row while avoiding train prompts, before giving up. */
const MAX_DRAWS_PER_EVAL_ROW = 50;

function drawRows(seed: number, count: number, excluded: ReadonlySet<string>): LabSftRow[] {
  const rng = createRng(seed);
  const rows: LabSftRow[] = [];
  for (let draws = 0; rows.length < count; draws++) {
    if (draws >= count * MAX_DRAWS_PER_EVAL_ROW) {
      throw new Error(`could not draw ${count} lab posts distinct from ${excluded.size} others`);
    }
    const post = generatePost(rng);
    if (!excluded.has(post.query)) rows.push(post);
  }
  return rows;
}

function checkCount(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer`);
}

/**
 * Posts for preference data — the prompts a policy is sampled on before labelling — from their own
 * sub-streams of the seed (`train` for reward-model training, `eval` for its held-out pairs).
 */
export function generatePreferencePosts(opts: {
  seed: number;
  n: number;
  split: 'train' | 'eval';
}): LabSftRow[] {
  checkCount('n', opts.n);
  const stream = opts.split === 'eval' ? LAB_STREAMS.preferenceEval : LAB_STREAMS.preferences;
  return drawRows(deriveSeed(opts.seed, stream), opts.n, new Set());
}

/** Generates the SFT train and eval rows, deterministically from `seed`. */
export function generateLabDataset(opts: LabDatasetOptions): LabDataset {
  checkCount('nTrain', opts.nTrain);
  checkCount('nEval', opts.nEval);
  const train = drawRows(deriveSeed(opts.seed, LAB_STREAMS.train), opts.nTrain, new Set());
  const trainQueries = new Set(train.map((row) => row.query));
  const evalRows = drawRows(deriveSeed(opts.seed, LAB_STREAMS.eval), opts.nEval, trainQueries);
  return { train, eval: evalRows };
}
