/**
 * Turning one raw row into a prompt and its responses (one for SFT, chosen and rejected for
 * preferences), rejecting the row on the first problem found, in field order: prompt, then each
 * response.
 *
 * Fields: which row field holds which part of an example. Defaults follow the public TL;DR sets: the
 * SFT set (`vwxyzjn/summarize_from_feedback_tldr_3_filtered*`) uses `query`/`reference_response`, the
 * vwxyzjn preference set `query`/`chosen`/`rejected`; the generic `prompt`/`completion` names come first.
 *
 * Texts: a plain string, or a chat message list `[{ role, content }, ...]`. A response list yields its
 * last assistant message (and the messages before it as context); a prompt list yields all its
 * contents joined. Without a prompt field, responses given as message lists supply it: the messages
 * before the reply, which must then be the same in every response of the row. Texts are returned
 * exactly as stored (leading spaces and end-of-text markers are part of the data).
 */
import { describeType, rejectRow } from './bad-rows.ts';

// ---- field names ----

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

// ---- chat message lists ----

/** One chat message; other keys (names, ids) are ignored. */
export interface ChatMessage {
  role: string;
  content: string;
}

/** Separator between message contents when a list is flattened into one prompt string. */
export const MESSAGE_SEPARATOR = '\n\n';

/** A message list split at its last assistant message. */
export interface ChatTurn {
  /** Messages before the reply. */
  context: ChatMessage[];
  /** The last assistant message's content. */
  reply: string;
}

/** The messages when `value` is a list of `{ role: string, content: string }`, else why it is not one. */
export function parseMessageList(value: unknown[]): { messages: ChatMessage[] } | { problem: string } {
  const messages: ChatMessage[] = [];
  for (const [i, item] of value.entries()) {
    const problem = messageProblem(item);
    if (problem) return { problem: `item ${i + 1} ${problem}` };
    messages.push(item as ChatMessage);
  }
  return { messages };
}

function messageProblem(item: unknown): string | undefined {
  if (item === null || typeof item !== 'object' || Array.isArray(item))
    return 'is not a {role, content} object';
  const { role, content } = item as Record<string, unknown>;
  if (typeof role !== 'string') return 'has no string "role"';
  if (typeof content !== 'string') return 'has no string "content"';
  return undefined;
}

/** Splits at the last assistant message; undefined when there is none. */
export function splitAtLastReply(messages: readonly ChatMessage[]): ChatTurn | undefined {
  let last = messages.length - 1;
  while (last >= 0 && messages[last]!.role !== 'assistant') last -= 1;
  if (last < 0) return undefined;
  return { context: messages.slice(0, last), reply: messages[last]!.content };
}

/** The contents of `messages`, joined with {@link MESSAGE_SEPARATOR}. */
export function joinContents(messages: readonly ChatMessage[]): string {
  return messages.map((m) => m.content).join(MESSAGE_SEPARATOR);
}

// ---- text fields ----

/** A response read from a row. */
export interface ResponseText {
  /** The field name as spelled in the file. */
  field: string;
  text: string;
  /** The messages before the reply, when the field was a message list. */
  context?: ChatMessage[];
}

/** The response in `found`; rejects the row when it is not usable text. */
export function readResponse(found: FoundField): ResponseText {
  if (typeof found.value === 'string')
    return { field: found.name, text: requireText(found.name, found.value) };
  const turn = splitAtLastReply(readMessages(found));
  if (!turn) rejectRow('no assistant message', found.name, 'message list has no assistant message');
  return { field: found.name, text: requireText(found.name, turn.reply), context: turn.context };
}

/** The prompt in `found`: a string, or a message list flattened to its joined contents. */
export function readPrompt(found: FoundField): string {
  const text = typeof found.value === 'string' ? found.value : joinContents(readMessages(found));
  return requireText(found.name, text);
}

function readMessages(found: FoundField): ChatMessage[] {
  const expected = 'expected a string or a message list';
  if (!Array.isArray(found.value))
    rejectRow('wrong type', found.name, `${expected}, got ${describeType(found.value)}`);
  const parsed = parseMessageList(found.value);
  if ('problem' in parsed)
    rejectRow('wrong type', found.name, `${expected}, got an array whose ${parsed.problem}`);
  return parsed.messages;
}

/** A UTF-16 code unit of a surrogate pair without its other half (`"\ud800"` in JSON). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Rejects empty and whitespace-only text, and text holding a lone surrogate (no Unicode character:
 * a tokenizer would see U+FFFD or fail); returns the text unchanged otherwise.
 */
export function requireText(field: string, text: string): string {
  if (text.trim() === '') rejectRow('empty text', field, text === '' ? 'is empty' : 'is whitespace-only');
  const surrogate = LONE_SURROGATE.exec(text);
  if (surrogate)
    rejectRow(
      'invalid text',
      field,
      `holds a lone surrogate \\u${surrogate[0].charCodeAt(0).toString(16)} at character ${surrogate.index} (not valid Unicode)`,
    );
  return text;
}

// ---- the record ----

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
