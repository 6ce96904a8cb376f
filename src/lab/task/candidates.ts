/**
 * Candidate summaries of varied quality for reward-model preference pairs, made by perturbing the
 * post's faithful reference: drop a fact, swap in a fact of another post, repeat a phrase, add a filler,
 * lengthen with the post's context, or truncate. Each perturbation is mild and applied once, so the
 * pairs teach real signal (coverage, no invention, EOS) while very long, very repetitive or
 * fact-stuffed summaries never occur: there a learned reward model is unconstrained (see
 * docs/lab-task.md, "Preference data and why a proxy gap appears").
 */
import { ASKS, type FactOption, PROBLEMS, SUBJECTS } from './fact-catalog.ts';
import { keyFactOptions, type LabFacts } from './facts.ts';
import { formatSummary } from './lab-text.ts';
import { FILLERS } from './post-phrases.ts';
import { referenceSummary, referenceSummaryTokens } from './reference-summary.ts';
import { bernoulli, pick, type Rng, randomInt } from './rng.ts';

/** How a candidate was made. */
export type LabCandidateKind =
  | 'reference'
  | 'drop-fact'
  | 'swap-fact'
  | 'repeat-phrase'
  | 'filler'
  | 'lengthen'
  | 'truncate';

export interface LabCandidate {
  kind: LabCandidateKind;
  /** Summary text in the reference format (leading space, tokens, EOS unless truncated). */
  text: string;
}

/** Token lists of the three key facts, in summary order. */
type FactTokens = [subject: string[], problem: string[], ask: string[]];

function factTokens(options: readonly FactOption[]): FactTokens {
  const [subject, problem, ask] = options.map((fact) => fact.phrase.split(' '));
  return [subject!, problem!, ask!];
}

/** The plain reference layout: subject problem , ask ? */
function plainLayout([subject, problem, ask]: FactTokens, middle: string[] = [',']): string[] {
  return [...subject, ...problem, ...middle, ...ask, '?'];
}

/** Leaves out one key fact: the subject, the problem, or the question (made vague). */
function dropFact(rng: Rng, facts: LabFacts, [subject, , ask]: FactTokens): string[] {
  const dropped = randomInt(rng, 3);
  if (dropped === 0) return referenceSummaryTokens(facts, 'no-subject');
  if (dropped === 1) return ['my', ...subject, ',', ...ask, '?'];
  return referenceSummaryTokens(facts, 'vague-ask');
}

/** Replaces one key fact with a different option of the catalog: a fact of another post. */
function swapFact(rng: Rng, facts: LabFacts): string[] {
  const options = [...keyFactOptions(facts)];
  const which = randomInt(rng, 3);
  const catalog: readonly FactOption[] = [SUBJECTS, PROBLEMS, ASKS][which]!;
  options[which] = pick(
    rng,
    catalog.filter((fact) => fact.id !== options[which]!.id),
  );
  return plainLayout(factTokens(options));
}

/** States the problem phrase or the question twice. */
function repeatPhrase(rng: Rng, [subject, problem, ask]: FactTokens): string[] {
  if (bernoulli(rng, 0.5)) return [...subject, ...problem, ...problem, ',', ...ask, '?'];
  return [...subject, ...problem, ',', ...ask, ',', ...ask, '?'];
}

/** The plain layout with a neutral sentence between the problem and the question. */
function withMiddle(tokens: FactTokens, sentence: string): string[] {
  return plainLayout(tokens, [',', ...sentence.split(' '), ',']);
}

/** The first 2…n−1 tokens of the plain layout, with EOS half of the time. */
function truncate(rng: Rng, tokens: FactTokens): string {
  const full = plainLayout(tokens);
  const kept = full.slice(0, 2 + randomInt(rng, full.length - 2));
  return bernoulli(rng, 0.5) ? formatSummary(kept) : ` ${kept.join(' ')}`;
}

/** One candidate of each kind for this post, in a fixed kind order. */
export function makeCandidates(facts: LabFacts, rng: Rng): LabCandidate[] {
  const tokens = factTokens(keyFactOptions(facts));
  const filler = pick(rng, FILLERS);
  const context = facts.situation ?? pick(rng, FILLERS);
  return [
    { kind: 'reference', text: referenceSummary(facts, bernoulli(rng, 0.5) ? 'my' : 'plain') },
    { kind: 'drop-fact', text: formatSummary(dropFact(rng, facts, tokens)) },
    { kind: 'swap-fact', text: formatSummary(swapFact(rng, facts)) },
    { kind: 'repeat-phrase', text: formatSummary(repeatPhrase(rng, tokens)) },
    { kind: 'filler', text: formatSummary(withMiddle(tokens, filler)) },
    { kind: 'lengthen', text: formatSummary(withMiddle(tokens, context)) },
    { kind: 'truncate', text: truncate(rng, tokens) },
  ];
}
