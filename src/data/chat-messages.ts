/**
 * Chat-style message lists, `[{ role, content }, ...]`, as used by chat preference sets. The response is
 * the content of the last `assistant` message; the messages before it are its context (the prompt).
 */

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
