/**
 * The five key facts of a lab post: who (subject), what went wrong (problem), since when or how often
 * (timing), the background of the relationship (context) and what the poster asks (ask). Each option
 * has the phrase a summary uses (posts use the same words, so a small model can copy them) and its
 * keywords: the content words that show the fact is covered. Keywords are unique across all options
 * and never occur in the neutral parts of a post (see `post-phrases.ts`), so a keyword in a summary
 * identifies exactly one fact; the tests check this.
 */

/** One choice for a key fact. */
export interface FactOption {
  /** Stable identifier stored in the structured facts. */
  id: string;
  /** Space-separated tokens used in the post and in the summary. */
  phrase: string;
  /** Content words of the phrase that carry the fact. */
  keywords: readonly string[];
}

/** A subject, with the subreddit its posts usually go to. */
export interface SubjectOption extends FactOption {
  subreddit: string;
}

function subject(word: string, subreddit: string): SubjectOption {
  return { id: word, phrase: word, keywords: [word], subreddit };
}

function option(id: string, phrase: string, keywords: readonly string[]): FactOption {
  return { id, phrase, keywords };
}

/** Who the post is about; posts say "my <subject>". */
export const SUBJECTS: readonly SubjectOption[] = [
  subject('roommate', 'roommates'),
  subject('boss', 'work'),
  subject('coworker', 'work'),
  subject('manager', 'work'),
  subject('girlfriend', 'relationships'),
  subject('boyfriend', 'relationships'),
  subject('wife', 'relationships'),
  subject('husband', 'relationships'),
  subject('mom', 'family'),
  subject('dad', 'family'),
  subject('sister', 'family'),
  subject('brother', 'family'),
  subject('cousin', 'family'),
  subject('friend', 'friendship'),
  subject('neighbor', 'legaladvice'),
  subject('landlord', 'legaladvice'),
];

/** What the subject does wrong. */
export const PROBLEMS: readonly FactOption[] = [
  option('eats-food', 'eats my food', ['eats', 'food']),
  option('ignores-texts', 'ignores my texts', ['ignores', 'texts']),
  option('owes-money', 'owes me money', ['owes', 'money']),
  option('reads-diary', 'reads my diary', ['reads', 'diary']),
  option('yells', 'yells at me', ['yells']),
  option('lies', 'lies to me', ['lies']),
  option('loud-music', 'plays loud music', ['loud', 'music']),
  option('broke-phone', 'broke my phone', ['broke', 'phone']),
  option('borrows-car', 'borrows my car', ['borrows', 'car']),
  option('never-cleans', 'never cleans up', ['cleans']),
  option('cancels-plans', 'cancels our plans', ['cancels', 'plans']),
  option('posts-photos', 'posts my photos', ['posts', 'photos']),
  option('always-late', 'is always late', ['late']),
  option('steals-ideas', 'steals my ideas', ['steals', 'ideas']),
  option('smokes-inside', 'smokes inside', ['smokes', 'inside']),
  option('snores', 'snores all night', ['snores']),
  option('takes-clothes', 'takes my clothes', ['takes', 'clothes']),
  option('insults-cooking', 'insults my cooking', ['insults', 'cooking']),
];

/** Since when, or how often, the problem happens; posts append it to the problem sentence. */
export const TIMINGS: readonly FactOption[] = [
  option('every-weekend', 'every weekend', ['weekend']),
  option('every-day', 'every day', ['day']),
  option('every-morning', 'every morning', ['morning']),
  option('since-last-month', 'since last month', ['month']),
  option('since-last-summer', 'since last summer', ['summer']),
  option('since-christmas', 'since christmas', ['christmas']),
  option('for-two-years', 'for two years', ['years']),
  option('for-weeks', 'for weeks now', ['weeks']),
];

/** The background of the relationship; posts state it as a sentence of its own. */
export const CONTEXTS: readonly FactOption[] = [
  option('live-together', 'we live together', ['live']),
  option('met-in-college', 'we met in college', ['college']),
  option('share-office', 'we share an office', ['office']),
  option('grew-up-together', 'we grew up together', ['grew']),
  option('have-kids', 'we have kids', ['kids']),
  option('engaged', 'we are engaged', ['engaged']),
  option('pay-rent', 'i pay the rent', ['rent']),
  option('new-in-town', 'i am new in town', ['town']),
];

/** The question the post asks. */
export const ASKS: readonly FactOption[] = [
  option('move-out', 'should i move out', ['move']),
  option('break-up', 'should i break up', ['break']),
  option('call-police', 'should i call police', ['police']),
  option('confront', 'should i confront them', ['confront']),
  option('quit', 'should i quit', ['quit']),
  option('report', 'should i report it', ['report']),
  option('apologize', 'should i apologize', ['apologize']),
  option('stay-quiet', 'should i stay quiet', ['quiet']),
  option('overreacting', 'am i overreacting', ['overreacting']),
  option('respond', 'how do i respond', ['respond']),
  option('cut-contact', 'should i cut contact', ['cut', 'contact']),
  option('demand-payment', 'should i demand payment', ['demand', 'payment']),
];

/** Every keyword of every option: a summary word in this set states some fact. */
export const ALL_FACT_KEYWORDS: ReadonlySet<string> = new Set(
  [...SUBJECTS, ...PROBLEMS, ...TIMINGS, ...CONTEXTS, ...ASKS].flatMap((fact) => fact.keywords),
);

function findOption<T extends FactOption>(options: readonly T[], id: string, kind: string): T {
  const found = options.find((candidate) => candidate.id === id);
  if (!found) throw new Error(`unknown ${kind} ${JSON.stringify(id)}`);
  return found;
}

/** The subject option with this id; throws for an unknown id. */
export function subjectById(id: string): SubjectOption {
  return findOption(SUBJECTS, id, 'subject');
}

/** The problem option with this id; throws for an unknown id. */
export function problemById(id: string): FactOption {
  return findOption(PROBLEMS, id, 'problem');
}

/** The timing option with this id; throws for an unknown id. */
export function timingById(id: string): FactOption {
  return findOption(TIMINGS, id, 'timing');
}

/** The context option with this id; throws for an unknown id. */
export function contextById(id: string): FactOption {
  return findOption(CONTEXTS, id, 'context');
}

/** The ask option with this id; throws for an unknown id. */
export function askById(id: string): FactOption {
  return findOption(ASKS, id, 'ask');
}
