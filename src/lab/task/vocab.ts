/**
 * The lab vocabulary: `<|endoftext|>` (id 0, EOS and padding), `<unk>` (id 1), then every token the
 * grammar can emit, sorted. It is derived from the grammar tables themselves, so a new phrase can
 * never emit a token outside the vocabulary.
 */
import { ASKS, CONTEXTS, PROBLEMS, SUBJECTS, TIMINGS } from './fact-catalog.ts';
import { EOS_TOKEN, splitLabText, UNK_TOKEN } from './lab-text.ts';
import { FILLERS, GENERIC_SUBREDDIT, PROBLEM_SENTENCE_TEMPLATES, TITLE_TEMPLATES } from './post-phrases.ts';

/** The fixed text around a post: `SUBREDDIT: r/… TITLE: … POST: … TL;DR:`, sentence marks, "my". */
const FRAME_TEXT = 'SUBREDDIT: r/ TITLE: POST: TL;DR: my , . ? what do i do';

function grammarTexts(): string[] {
  return [
    FRAME_TEXT,
    GENERIC_SUBREDDIT,
    ...SUBJECTS.flatMap((subject) => [subject.phrase, subject.subreddit]),
    ...[...PROBLEMS, ...TIMINGS, ...CONTEXTS, ...ASKS].map((fact) => fact.phrase),
    ...FILLERS,
    ...[...TITLE_TEMPLATES, ...PROBLEM_SENTENCE_TEMPLATES].map((template) =>
      template.replace(/\{\w+\}/g, ' '),
    ),
  ];
}

function buildVocab(): readonly string[] {
  const words = new Set(grammarTexts().flatMap(splitLabText));
  return [EOS_TOKEN, UNK_TOKEN, ...[...words].sort()];
}

/** Every token of the lab tokenizer, indexed by id. */
export const LAB_VOCAB: readonly string[] = buildVocab();

/** Id of each token of {@link LAB_VOCAB}. */
export const LAB_TOKEN_IDS: ReadonlyMap<string, number> = new Map(LAB_VOCAB.map((token, id) => [token, id]));
