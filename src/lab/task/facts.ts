/**
 * The structured key facts of one lab post, stored next to each generated row so the gold judge
 * can score any summary of that post. Ids refer to `fact-catalog.ts`.
 */
import {
  askById,
  contextById,
  type FactOption,
  problemById,
  subjectById,
  timingById,
} from './fact-catalog.ts';

/** Key facts of a post: who, what, since when, the background, and the question. */
export interface LabFacts {
  /** Subject id, e.g. `roommate`. */
  subject: string;
  /** Problem id, e.g. `eats-food`. */
  problem: string;
  /** Timing id, e.g. `every-weekend`. */
  timing: string;
  /** Context id, e.g. `live-together`. */
  context: string;
  /** Ask id, e.g. `move-out`. */
  ask: string;
}

/** The names of the key facts, in the order a complete summary states them. */
export const FACT_NAMES = ['subject', 'problem', 'timing', 'context', 'ask'] as const;
export type FactName = (typeof FACT_NAMES)[number];

/** The five key fact options of a post, in {@link FACT_NAMES} order. */
export function keyFactOptions(facts: LabFacts): readonly FactOption[] {
  return [
    subjectById(facts.subject),
    problemById(facts.problem),
    timingById(facts.timing),
    contextById(facts.context),
    askById(facts.ask),
  ];
}

/** The keywords of this post's key facts. */
export function postKeywords(facts: LabFacts): ReadonlySet<string> {
  return new Set(keyFactOptions(facts).flatMap((fact) => fact.keywords));
}
