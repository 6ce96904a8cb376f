/**
 * Turns one raw row into a prompt and its responses (one for SFT, chosen and rejected for preferences),
 * rejecting the row on the first problem found, in field order: prompt, then each response.
 * Without a prompt field, responses given as message lists supply it: the messages before the reply,
 * which must then be the same in every response of the row.
 */
import { joinContents } from './chat-messages.ts';
import { type FieldNames, type FieldRole, type FoundField, findField } from './field-names.ts';
import { describeType, rejectRow } from './row-rejection.ts';
import { type ResponseText, readPrompt, readResponse } from './text-field.ts';

/** A validated row, texts as stored. */
export interface ExtractedRecord {
  prompt: string;
  /** Where the prompt came from: its field name, or the response field whose messages supplied it. */
  promptField: string;
  responses: ResponseText[];
}

const MAX_KEYS_SHOWN = 12;

/** `columns` lists the file's fields when the reader knows them (parquet reads only a subset into rows). */
export function extractRecord(
  value: unknown,
  names: FieldNames,
  responseRoles: readonly FieldRole[],
  columns?: readonly string[],
): ExtractedRecord {
  const row = requireObject(value);
  const promptFound = findField(row, names.prompt);
  const prompt = promptFound && readPrompt(promptFound);
  const responses = responseRoles.map((role) => readResponse(requireField(row, names[role], columns)));
  if (promptFound && prompt !== undefined) return { prompt, promptField: promptFound.name, responses };
  return promptFromMessages(row, names.prompt, responses, columns);
}

function requireObject(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    rejectRow('not an object', '', `expected an object, got ${describeType(value)}`);
  }
  return value as Record<string, unknown>;
}

function requireField(
  row: Record<string, unknown>,
  names: readonly string[],
  columns?: readonly string[],
): FoundField {
  const found = findField(row, names);
  if (!found) rejectMissing(row, names, columns);
  return found;
}

function rejectMissing(
  row: Record<string, unknown>,
  names: readonly string[],
  columns?: readonly string[],
): never {
  const nullName = names.find((name) => Object.hasOwn(row, name) && row[name] === null);
  if (nullName !== undefined) rejectRow('missing field', nullName, 'is null');
  const also =
    names.length > 1
      ? ` (also looked for ${names
          .slice(1)
          .map((n) => `"${n}"`)
          .join(', ')})`
      : '';
  const keys = columns ?? Object.keys(row);
  const shown = keys.slice(0, MAX_KEYS_SHOWN).join(', ') + (keys.length > MAX_KEYS_SHOWN ? ', ...' : '');
  rejectRow('missing field', names[0]!, `missing${also}; the row has: ${shown || 'no fields'}`);
}

function promptFromMessages(
  row: Record<string, unknown>,
  promptNames: readonly string[],
  responses: ResponseText[],
  columns?: readonly string[],
): ExtractedRecord {
  const [first, ...others] = responses.filter((r) => r.context !== undefined);
  if (!first) rejectMissing(row, promptNames, columns);
  if (first.context!.length === 0) {
    rejectRow(
      'missing field',
      promptNames[0]!,
      `missing, and "${first.field}" has no messages before its reply`,
    );
  }
  const prompt = joinContents(first.context!);
  for (const other of others) {
    if (joinContents(other.context!) !== prompt) {
      rejectRow(
        'prompt mismatch',
        other.field,
        `its messages before the reply differ from those in "${first.field}"`,
      );
    }
  }
  if (prompt.trim() === '') {
    rejectRow('empty text', first.field, 'the messages before the reply (used as the prompt) are empty');
  }
  return { prompt, promptField: first.field, responses };
}
