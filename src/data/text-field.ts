/**
 * Reading a text field: a plain string, or a chat message list. A response list yields its last
 * assistant message (and the messages before it as context); a prompt list yields all its contents joined.
 * Texts are returned exactly as stored (leading spaces and end-of-text markers are part of the data).
 */
import { type ChatMessage, joinContents, parseMessageList, splitAtLastReply } from './chat-messages.ts';
import type { FoundField } from './field-names.ts';
import { describeType, rejectRow } from './row-rejection.ts';

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

/** Rejects empty and whitespace-only text; returns the text unchanged otherwise. */
export function requireText(field: string, text: string): string {
  if (text.trim() === '') rejectRow('empty text', field, text === '' ? 'is empty' : 'is whitespace-only');
  return text;
}
