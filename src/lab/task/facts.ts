/**
 * The structured key facts of one lab post, stored next to each generated row so the gold judge
 * can score any summary of that post. Ids refer to `fact-catalog.ts`.
 */
import { askById, type FactOption, problemById, subjectById } from './fact-catalog.ts';

/** Key facts of a post (subject, problem, ask) plus its neutral context. */
export interface LabFacts {
  /** Subject id, e.g. `roommate`. */
  subject: string;
  /** Problem id, e.g. `eats-food`. */
  problem: string;
  /** Ask id, e.g. `move-out`. */
  ask: string;
  /** The context sentence of the post (no full stop), or null when the post has none. */
  situation: string | null;
}

/** The three key fact options of a post, in summary order. */
export function keyFactOptions(facts: LabFacts): readonly FactOption[] {
  return [subjectById(facts.subject), problemById(facts.problem), askById(facts.ask)];
}

/** The keywords of this post's key facts. */
export function postKeywords(facts: LabFacts): ReadonlySet<string> {
  return new Set(keyFactOptions(facts).flatMap((fact) => fact.keywords));
}
