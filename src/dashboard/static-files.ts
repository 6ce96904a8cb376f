/** Sending files from a fixed root folder, through the traversal checks of safe-path.ts. */
import { extname } from 'node:path';
import type { FastifyReply } from 'fastify';
import { openRegularFile } from '../io/regular-file.ts';
import { resolveWithin } from './safe-path.ts';

/** Content types of the files the dashboard serves; anything else is sent as opaque bytes. */
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.jsonl': 'application/x-ndjson; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
};

export function contentTypeOf(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/** Replies with the file `requested` names under `root`, or 403/404 when it may not or does not exist. */
export async function sendFileWithin(
  reply: FastifyReply,
  root: string,
  requested: string,
): Promise<FastifyReply> {
  const resolved = await resolveWithin(root, requested);
  if (!resolved.ok) {
    const error = resolved.status === 403 ? 'Forbidden' : 'Not Found';
    return reply.code(resolved.status).send({ statusCode: resolved.status, error });
  }
  // Opened non-blocking and checked on the descriptor: a file swapped for a FIFO since the check
  // is refused instead of blocking a thread.
  const handle = await openRegularFile(resolved.path).catch(() => null);
  if (handle === null) return reply.code(404).send({ statusCode: 404, error: 'Not Found' });
  return reply
    .header('content-type', contentTypeOf(resolved.path))
    .header('x-content-type-options', 'nosniff')
    .send(handle.createReadStream());
}
