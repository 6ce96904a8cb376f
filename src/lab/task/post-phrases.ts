/**
 * The neutral parts of a lab post: subreddits, titles, filler sentences and sentence templates. None
 * of their words is a fact keyword (`fact-catalog.ts`), so a summary may mention them without
 * inventing facts; they only cost length. Every sentence is written as space-separated tokens,
 * punctuation included, so one token is one word or one punctuation mark.
 */

/** The subreddit used when a post does not go to its subject's usual subreddit. */
export const GENERIC_SUBREDDIT = 'advice';

/** Title templates; `{subject}` and `{problem}` are replaced by the fact phrases. */
export const TITLE_TEMPLATES: readonly string[] = [
  'help with my {subject}',
  '{subject} problems',
  'need advice',
  'my {subject} {problem}',
  'what do i do',
];

/** Filler sentences (without the final full stop) that say nothing about the facts. */
export const FILLERS: readonly string[] = [
  'throwaway account',
  'first post here',
  'thanks in advance',
  'long time lurker',
  'any advice helps',
  'please help',
  'on mobile',
  'i am tired',
  'this is awkward',
];

/** Templates of the sentence that states the problem and its timing. */
export const PROBLEM_SENTENCE_TEMPLATES: readonly string[] = [
  'my {subject} {problem} {timing} .',
  'lately my {subject} {problem} {timing} .',
  'so my {subject} {problem} {timing} .',
];

/** Replaces `{name}` placeholders in a template; throws when a placeholder has no value. */
export function fillTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`template ${JSON.stringify(template)} needs {${name}}`);
    return value;
  });
}
