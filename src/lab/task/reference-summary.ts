/**
 * Reference TL;DRs: the key facts stated tersely in a fixed order, subject, problem, then the
 * question, ending with a question mark and EOS. Most references are faithful, in two styles:
 *   plain:      " roommate eats my food , should i move out ?<|endoftext|>"
 *   my:         " my roommate eats my food . should i move out ?<|endoftext|>"
 * and, like human-written TL;DRs, some are flawed by leaving one fact out:
 *   vague-ask:  " roommate eats my food , what do i do ?<|endoftext|>"
 *   no-subject: " eats my food , should i move out ?<|endoftext|>"
 * so that a policy can beat the reference (win rate above 1/2). At most 11 tokens plus EOS.
 */
import { keyFactOptions, type LabFacts } from './facts.ts';
import { formatSummary } from './lab-text.ts';

/** The reference styles. */
export type ReferenceStyle = 'plain' | 'my' | 'vague-ask' | 'no-subject';

/** Styles that state all three key facts. */
export const FAITHFUL_STYLES: readonly ReferenceStyle[] = ['plain', 'my'];

/** What a summary says in place of a dropped question; its words are neutral. */
export const VAGUE_ASK = ['what', 'do', 'i', 'do'];

/** The reference's tokens (without EOS) in the given style. */
export function referenceSummaryTokens(facts: LabFacts, style: ReferenceStyle = 'plain'): string[] {
  const [subject, problem, ask] = keyFactOptions(facts).map((fact) => fact.phrase.split(' ')) as [
    string[],
    string[],
    string[],
  ];
  switch (style) {
    case 'plain':
      return [...subject, ...problem, ',', ...ask, '?'];
    case 'my':
      return ['my', ...subject, ...problem, '.', ...ask, '?'];
    case 'vague-ask':
      return [...subject, ...problem, ',', ...VAGUE_ASK, '?'];
    case 'no-subject':
      return [...problem, ',', ...ask, '?'];
  }
}

/** The reference summary text: leading space, tokens, EOS. */
export function referenceSummary(facts: LabFacts, style: ReferenceStyle = 'plain'): string {
  return formatSummary(referenceSummaryTokens(facts, style));
}
