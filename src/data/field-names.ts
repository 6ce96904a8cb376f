/**
 * Which row field holds which part of an example. Defaults follow the public TL;DR sets: the SFT set
 * (`vwxyzjn/summarize_from_feedback_tldr_3_filtered*`) uses `query`/`reference_response`, the vwxyzjn
 * preference set `query`/`chosen`/`rejected`; the generic `prompt`/`completion` names come first.
 */

/** The parts of an example a field can hold. */
export type FieldRole = 'prompt' | 'completion' | 'chosen' | 'rejected';

/** Names tried in order when no override is given. */
export const DEFAULT_FIELD_NAMES: Readonly<Record<FieldRole, readonly string[]>> = {
  prompt: ['prompt', 'query'],
  completion: ['completion', 'reference_response'],
  chosen: ['chosen'],
  rejected: ['rejected'],
};

/** The names to try for each role: the override alone when one is given, else the defaults. */
export type FieldNames = Readonly<Record<FieldRole, readonly string[]>>;

export function resolveFieldNames(overrides: Partial<Record<FieldRole, string>> = {}): FieldNames {
  const names = { ...DEFAULT_FIELD_NAMES };
  for (const role of Object.keys(names) as FieldRole[]) {
    const override = overrides[role];
    if (override !== undefined) names[role] = [override];
  }
  return names;
}

/** A field found in a row: its name as spelled in the file, and its value (never null or undefined). */
export interface FoundField {
  name: string;
  value: unknown;
}

/** The first of `names` that the row holds with a non-null value. */
export function findField(row: Record<string, unknown>, names: readonly string[]): FoundField | undefined {
  for (const name of names) {
    const value = Object.hasOwn(row, name) ? row[name] : undefined;
    if (value !== undefined && value !== null) return { name, value };
  }
  return undefined;
}
