/**
 * One synthetic Reddit post in the TL;DR prompt format
 *   SUBREDDIT: r/<sub>\nTITLE: <title>\nPOST: <sentences>\nTL;DR:
 * drawn from a small grammar: a subject with a problem and its timing, a context sentence, the
 * question, and 0-2 filler sentences; at most {@link MAX_PROMPT_TOKENS} tokens. The post keeps its key
 * facts and a reference summary written with human-like habits ({@link REFERENCE_HABITS}).
 */
import {
  ASKS,
  askById,
  CONTEXTS,
  contextById,
  PROBLEMS,
  problemById,
  SUBJECTS,
  subjectById,
  TIMINGS,
  timingById,
} from './fact-catalog.ts';
import type { LabFacts } from './facts.ts';
import { splitLabText } from './lab-text.ts';
import {
  FILLERS,
  fillTemplate,
  GENERIC_SUBREDDIT,
  PROBLEM_SENTENCE_TEMPLATES,
  TITLE_TEMPLATES,
} from './post-phrases.ts';
import { bernoulli, pick, type Rng, randomInt } from './rng.ts';
import { formatSummaryForm, type SummaryForm } from './summary.ts';

/** Longest prompt, in lab tokens. */
export const MAX_PROMPT_TOKENS = 48;

/** Probability that a post goes to its subject's subreddit rather than the generic one. */
const TOPICAL_SUBREDDIT_PROBABILITY = 0.75;

/**
 * How the references are written, each habit drawn independently per post. Like human TL;DRs, most
 * are terse: they state who, what and the question, and only sometimes the timing or the context,
 * which the gold judge rewards. A few leave the subject out or blur the question. This is what
 * gives the lab headroom: the SFT policy imitates the common terse form (its greedy summary is
 * terse), while the complete summary beats almost every reference (docs/lab-task.md).
 */
export const REFERENCE_HABITS = {
  /** P(the reference states the timing). */
  timing: 0.35,
  /** P(the reference states the context). */
  context: 0.35,
  /** P(the reference leaves the subject out). */
  leaveOutSubject: 0.12,
  /** P(the reference replaces the question by "what do i do"). */
  vagueAsk: 0.12,
  /** P(the "my" style rather than the plain one). */
  myStyle: 0.3,
} as const;

/** A generated post: the prompt, its reference summary and its key facts. */
export interface LabPost {
  query: string;
  reference_response: string;
  facts: LabFacts;
}

/** The post's sentences before the length limit is applied. */
interface PostParts {
  subreddit: string;
  title: string;
  leadingFillers: string[];
  body: string[];
  trailingFillers: string[];
}

function drawFacts(rng: Rng): LabFacts {
  return {
    subject: pick(rng, SUBJECTS).id,
    problem: pick(rng, PROBLEMS).id,
    timing: pick(rng, TIMINGS).id,
    context: pick(rng, CONTEXTS).id,
    ask: pick(rng, ASKS).id,
  };
}

function drawParts(rng: Rng, facts: LabFacts): PostParts {
  const subject = subjectById(facts.subject);
  const phrases = {
    subject: subject.phrase,
    problem: problemById(facts.problem).phrase,
    timing: timingById(facts.timing).phrase,
  };
  const problemSentence = fillTemplate(pick(rng, PROBLEM_SENTENCE_TEMPLATES), phrases);
  const contextSentence = `${contextById(facts.context).phrase} .`;
  const question = `${askById(facts.ask).phrase} ?`;
  const body = bernoulli(rng, 0.5)
    ? [contextSentence, problemSentence, question]
    : [problemSentence, contextSentence, question];
  const parts: PostParts = {
    subreddit: bernoulli(rng, TOPICAL_SUBREDDIT_PROBABILITY) ? subject.subreddit : GENERIC_SUBREDDIT,
    title: fillTemplate(pick(rng, TITLE_TEMPLATES), phrases),
    leadingFillers: [],
    body,
    trailingFillers: [],
  };
  const fillerCount = randomInt(rng, 3);
  for (let i = 0; i < fillerCount; i++) {
    const target = bernoulli(rng, 0.5) ? parts.leadingFillers : parts.trailingFillers;
    target.push(`${pick(rng, FILLERS)} .`);
  }
  return parts;
}

function renderQuery(parts: PostParts): string {
  const sentences = [...parts.leadingFillers, ...parts.body, ...parts.trailingFillers];
  return `SUBREDDIT: r/${parts.subreddit}\nTITLE: ${parts.title}\nPOST: ${sentences.join(' ')}\nTL;DR:`;
}

/** Drops filler sentences, trailing ones first, until the prompt fits {@link MAX_PROMPT_TOKENS}. */
function fitQuery(parts: PostParts): string {
  let query = renderQuery(parts);
  while (splitLabText(query).length > MAX_PROMPT_TOKENS) {
    if (parts.trailingFillers.length > 0) parts.trailingFillers.pop();
    else if (parts.leadingFillers.length > 0) parts.leadingFillers.pop();
    else throw new Error(`lab prompt longer than ${MAX_PROMPT_TOKENS} tokens: ${JSON.stringify(query)}`);
    query = renderQuery(parts);
  }
  return query;
}

/** The form of a reference, each habit drawn independently (always five draws). */
export function drawReferenceForm(rng: Rng): SummaryForm {
  const h = REFERENCE_HABITS;
  const timing = bernoulli(rng, h.timing);
  const context = bernoulli(rng, h.context);
  const subject = !bernoulli(rng, h.leaveOutSubject);
  const ask = bernoulli(rng, h.vagueAsk) ? 'vague' : 'specific';
  const style = bernoulli(rng, h.myStyle) ? 'my' : 'plain';
  return { style, subject, timing, context, ask };
}

/** Draws one post from the grammar. */
export function generatePost(rng: Rng): LabPost {
  const facts = drawFacts(rng);
  const query = fitQuery(drawParts(rng, facts));
  return { query, reference_response: formatSummaryForm(facts, drawReferenceForm(rng)), facts };
}
