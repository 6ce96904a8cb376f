/**
 * Candidate summaries that are not policy samples: summaries in a random form (a model-free stand-in
 * for what an imitation policy writes), and off-distribution probes — unfaithful, long, looping,
 * keyword-stuffed or doubled versions of the complete summary that the references never are and the
 * SFT policy rarely or never writes. A reward model trained on policy samples has never seen the probes, so its scores there are
 * extrapolation; the probes measure that gap (docs/lab-task.md, "Why the proxy can be exploited").
 */
import { ASKS, CONTEXTS, type FactOption, PROBLEMS, TIMINGS } from './fact-catalog.ts';
import { keyFactOptions, type LabFacts } from './facts.ts';
import { formatSummary } from './lab-text.ts';
import { FILLERS } from './post-phrases.ts';
import { pick, type Rng } from './rng.ts';
import { allSummaryForms, COMPLETE_FORM, formatSummaryForm, summaryTokens } from './summary.ts';

/** The off-distribution probe kinds, in the order {@link offDistributionProbes} returns them. */
export const PROBE_KINDS = ['unfaithful', 'stuffed', 'looped', 'padded', 'doubled', 'unterminated'] as const;
export type ProbeKind = (typeof PROBE_KINDS)[number];

/** Where a candidate summary came from. */
export type LabCandidateKind = 'reference' | 'policy' | 'form' | ProbeKind;

export interface LabCandidate {
  kind: LabCandidateKind;
  /** Summary text in the reference format (leading space, tokens, EOS unless unterminated). */
  text: string;
}

const SUMMARY_FORMS = allSummaryForms();

/** A summary of this post in a uniformly random form (style and which facts it states). */
export function randomFormSummary(facts: LabFacts, rng: Rng): string {
  return formatSummaryForm(facts, pick(rng, SUMMARY_FORMS));
}

/** A catalog option other than `own`. */
function otherOption(rng: Rng, catalog: readonly FactOption[], own: FactOption): FactOption {
  return pick(
    rng,
    catalog.filter((option) => option.id !== own.id),
  );
}

/**
 * Off-distribution versions of the complete summary, one per {@link PROBE_KINDS} entry:
 *   unfaithful    well-formed and complete-looking, but with another post's timing, context and question
 *   stuffed       the complete summary plus another post's problem, context and question (invented facts)
 *   looped        the problem phrase five times
 *   padded        five filler sentences before the question
 *   doubled       the whole summary twice
 *   unterminated  the complete summary followed by three fillers' words and no EOS, as when sampling runs out
 * Each scores below the terse summary (3) under the gold judge (tested).
 */
export function offDistributionProbes(facts: LabFacts, rng: Rng): LabCandidate[] {
  const [, problem, timing, context, ask] = keyFactOptions(facts);
  const complete = summaryTokens(facts, COMPLETE_FORM);
  const unfaithful = summaryTokens(
    {
      ...facts,
      timing: otherOption(rng, TIMINGS, timing!).id,
      context: otherOption(rng, CONTEXTS, context!).id,
      ask: otherOption(rng, ASKS, ask!).id,
    },
    COMPLETE_FORM,
  );
  const body = complete.slice(0, -1); // without the final "?"
  const problemWords = problem!.phrase.split(' ');
  const problemEnd = complete.indexOf(problemWords[problemWords.length - 1]!) + 1;
  const fillers = Array.from({ length: 5 }, () => pick(rng, FILLERS));
  const stuffed = [
    ...body,
    ',',
    ...otherOption(rng, PROBLEMS, problem!).phrase.split(' '),
    ',',
    ...otherOption(rng, CONTEXTS, context!).phrase.split(' '),
    ',',
    ...otherOption(rng, ASKS, ask!).phrase.split(' '),
    '?',
  ];
  const looped = [
    ...complete.slice(0, problemEnd),
    ...Array.from({ length: 4 }, () => problemWords).flat(),
    ...complete.slice(problemEnd),
  ];
  const padded = [...body, ...fillers.flatMap((filler) => [',', ...filler.split(' ')]), '?'];
  const unterminated = ` ${[...complete, ...fillers.slice(0, 3).join(' ').split(' ')].join(' ')}`;
  return [
    { kind: 'unfaithful', text: formatSummary(unfaithful) },
    { kind: 'stuffed', text: formatSummary(stuffed) },
    { kind: 'looped', text: formatSummary(looped) },
    { kind: 'padded', text: formatSummary(padded) },
    { kind: 'doubled', text: formatSummary([...complete, ...complete]) },
    { kind: 'unterminated', text: unterminated },
  ];
}
