/**
 * Comparing the tensors a checkpoint holds with those a model expects: every missing, unexpected
 * and mis-shaped tensor is collected and reported in one error.
 */
import type { ParameterShapes } from './parameter-layout.ts';

export interface ShapeMismatch {
  name: string;
  expected: number[];
  found: number[];
}

export interface StateDictProblems {
  missing: string[];
  unexpected: string[];
  mismatched: ShapeMismatch[];
}

export interface CompareOptions {
  /** Names that may be absent (e.g. a head that will be initialised). */
  optional?: ReadonlySet<string>;
  /** Names in the file that are skipped silently (HF's non-persistent buffers, …). */
  ignore?: (name: string) => boolean;
}

const sameShape = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

export function compareShapes(
  expected: ParameterShapes,
  found: Map<string, number[]>,
  o: CompareOptions = {},
): StateDictProblems {
  const problems: StateDictProblems = { missing: [], unexpected: [], mismatched: [] };
  for (const [name, shape] of expected) {
    const got = found.get(name);
    if (!got) {
      if (!o.optional?.has(name)) problems.missing.push(name);
    } else if (!sameShape(shape, got)) problems.mismatched.push({ name, expected: shape, found: got });
  }
  for (const name of found.keys())
    if (!expected.has(name) && !o.ignore?.(name)) problems.unexpected.push(name);
  return problems;
}

export function hasProblems(problems: StateDictProblems): boolean {
  return problems.missing.length + problems.unexpected.length + problems.mismatched.length > 0;
}

/** One error listing every missing, unexpected and mis-shaped tensor of a checkpoint. */
export class StateDictMismatchError extends Error {
  readonly problems: StateDictProblems;

  constructor(source: string, problems: StateDictProblems) {
    const lines = [
      ...problems.missing.map((n) => `  missing:    ${n}`),
      ...problems.unexpected.map((n) => `  unexpected: ${n}`),
      ...problems.mismatched.map(
        (m) => `  shape:      ${m.name} is [${m.found}] in the file, the model needs [${m.expected}]`,
      ),
    ];
    const counts = `${problems.missing.length} missing, ${problems.unexpected.length} unexpected, ${problems.mismatched.length} mis-shaped`;
    super(`${source}: the weights do not match the model (${counts}):\n${lines.join('\n')}`);
    this.name = 'StateDictMismatchError';
    this.problems = problems;
  }
}

/** Throws a StateDictMismatchError naming `source` when anything is wrong. */
export function assertShapesMatch(
  source: string,
  expected: ParameterShapes,
  found: Map<string, number[]>,
  o: CompareOptions = {},
): void {
  const problems = compareShapes(expected, found, o);
  if (hasProblems(problems)) throw new StateDictMismatchError(source, problems);
}
