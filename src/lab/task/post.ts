/**
 * One synthetic Reddit post in the TL;DR prompt format
 *   SUBREDDIT: r/<sub>\nTITLE: <title>\nPOST: <sentences>\nTL;DR:
 * drawn from a small grammar: a subject with a problem, an optional context sentence, the question,
 * and 0-2 filler sentences; at most {@link MAX_PROMPT_TOKENS} tokens. The post keeps its key facts
 * and a reference summary (faithful, or with one fact left out; see `reference-summary.ts`).
 */
import { ASKS, askById, PROBLEMS, problemById, SUBJECTS, subjectById } from './fact-catalog.ts';
import type { LabFacts } from './facts.ts';
import { splitLabText } from './lab-text.ts';
import {
  FILLERS,
  fillTemplate,
  GENERIC_SUBREDDIT,
  PROBLEM_SENTENCE_TEMPLATES,
  SITUATIONS,
  TITLE_TEMPLATES,
} from './post-phrases.ts';
import { type ReferenceStyle, referenceSummary } from './reference-summary.ts';
import { bernoulli, pick, type Rng, randomInt } from './rng.ts';

/** Longest prompt, in lab tokens. */
export const MAX_PROMPT_TOKENS = 40;

/** Probability that a post goes to its subject's subreddit rather than the generic one. */
const TOPICAL_SUBREDDIT_PROBABILITY = 0.75;
/** Probability that a post has a context sentence. */
const SITUATION_PROBABILITY = 0.7;
/** Probability that the reference leaves one fact out (styles `vague-ask` or `no-subject`). */
export const FLAWED_REFERENCE_PROBABILITY = 0.2;
/** Probability that a faithful reference uses the "my" style rather than the plain one. */
const MY_STYLE_PROBABILITY = 0.3;

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
    ask: pick(rng, ASKS).id,
    situation: bernoulli(rng, SITUATION_PROBABILITY) ? pick(rng, SITUATIONS) : null,
  };
}

function drawParts(rng: Rng, facts: LabFacts): PostParts {
  const subject = subjectById(facts.subject);
  const phrases = {
    subject: subject.phrase,
    problem: problemById(facts.problem).phrase,
  };
  const problemSentence = fillTemplate(pick(rng, PROBLEM_SENTENCE_TEMPLATES), phrases);
  const question = `${askById(facts.ask).phrase} ?`;
  const situation = facts.situation === null ? [] : [`${facts.situation} .`];
  const body = bernoulli(rng, 0.5)
    ? [...situation, problemSentence, question]
    : [problemSentence, ...situation, question];
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

function drawReferenceStyle(rng: Rng): ReferenceStyle {
  if (bernoulli(rng, FLAWED_REFERENCE_PROBABILITY)) return bernoulli(rng, 0.5) ? 'vague-ask' : 'no-subject';
  return bernoulli(rng, MY_STYLE_PROBABILITY) ? 'my' : 'plain';
}

/** Draws one post from the grammar. */
export function generatePost(rng: Rng): LabPost {
  const facts = drawFacts(rng);
  const query = fitQuery(drawParts(rng, facts));
  return { query, reference_response: referenceSummary(facts, drawReferenceStyle(rng)), facts };
}
