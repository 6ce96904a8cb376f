/**
 * Summaries of a lab post, built from a {@link SummaryForm}: which key facts they state and in which
 * style. The facts come in a fixed order, subject, problem, timing, context, then the question:
 *   complete (plain): " roommate eats my food every weekend , we live together , should i move out ?"
 *   complete (my):    " my roommate eats my food every weekend . we live together . should i move out ?"
 *   terse:            " roommate eats my food , should i move out ?"
 *   vague ask:        " roommate eats my food , what do i do ?"
 *   no subject:       " eats my food , should i move out ?"
 * (each followed by EOS). The complete summary states all five facts and is the best summary the gold
 * judge can give (the lab's oracle). Reference TL;DRs are drawn from these forms with human-like
 * habits (see `post.ts`): most are terse, leaving out the timing and the context.
 */
import { keyFactOptions, type LabFacts } from './facts.ts';
import { formatSummary } from './lab-text.ts';

/** What a summary states, and how. */
export interface SummaryForm {
  /** `plain`: facts joined by commas; `my`: "my <subject> …", sentences joined by full stops. */
  style: 'plain' | 'my';
  /** States who the post is about. */
  subject: boolean;
  /** States since when / how often (after the problem). */
  timing: boolean;
  /** States the background sentence. */
  context: boolean;
  /** The post's own question, or a vague "what do i do" that states no fact. */
  ask: 'specific' | 'vague';
}

/** The form of the complete summary: every key fact, plain style. */
export const COMPLETE_FORM: Readonly<SummaryForm> = {
  style: 'plain',
  subject: true,
  timing: true,
  context: true,
  ask: 'specific',
};

/** The terse form: subject, problem and question, no timing or context. */
export const TERSE_FORM: Readonly<SummaryForm> = { ...COMPLETE_FORM, timing: false, context: false };

/** What a summary says in place of the post's question; its words are neutral. */
export const VAGUE_ASK = ['what', 'do', 'i', 'do'];

/** The summary's tokens (without EOS) in this form. */
export function summaryTokens(facts: LabFacts, form: Readonly<SummaryForm> = COMPLETE_FORM): string[] {
  const [subject, problem, timing, context, ask] = keyFactOptions(facts).map((fact) =>
    fact.phrase.split(' '),
  ) as [string[], string[], string[], string[], string[]];
  const separator = form.style === 'my' ? '.' : ',';
  const who = form.subject ? (form.style === 'my' ? ['my', ...subject] : subject) : [];
  return [
    ...who,
    ...problem,
    ...(form.timing ? timing : []),
    separator,
    ...(form.context ? [...context, separator] : []),
    ...(form.ask === 'specific' ? ask : VAGUE_ASK),
    '?',
  ];
}

/** The summary text in this form: leading space, tokens, EOS. */
export function formatSummaryForm(facts: LabFacts, form: Readonly<SummaryForm> = COMPLETE_FORM): string {
  return formatSummary(summaryTokens(facts, form));
}

/** The lab's oracle: the complete summary, the best the gold judge can give this post. */
export function completeSummary(facts: LabFacts): string {
  return formatSummaryForm(facts, COMPLETE_FORM);
}

/** Every form a summary builder can take (2 styles × 2^4 choices), e.g. to search for the best. */
export function allSummaryForms(): SummaryForm[] {
  const forms: SummaryForm[] = [];
  for (const style of ['plain', 'my'] as const)
    for (const subject of [true, false])
      for (const timing of [true, false])
        for (const context of [true, false])
          for (const ask of ['specific', 'vague'] as const)
            forms.push({ style, subject, timing, context, ask });
  return forms;
}
