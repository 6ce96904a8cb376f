/** Server-Sent Events fan-out: every connected client receives every broadcast event. */
import type { ServerResponse } from 'node:http';

/** Comment line sent periodically so proxies and browsers keep idle streams open. */
export const HEARTBEAT_MS = 15_000;

export class SseHub {
  private readonly clients = new Set<ServerResponse>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor() {
    this.heartbeat = setInterval(() => this.writeAll(': heartbeat\n\n'), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** Number of connected clients. */
  get size(): number {
    return this.clients.size;
  }

  /** Turns `response` into an event stream and keeps it until the client goes away. */
  add(response: ServerResponse): void {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-content-type-options': 'nosniff',
    });
    response.write(': connected\n\n');
    this.clients.add(response);
    response.on('close', () => this.clients.delete(response));
  }

  /** Sends one named event with a JSON payload to every client. */
  broadcast(event: string, data: unknown): void {
    this.writeAll(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** Ends every stream (so the HTTP server can close) and stops the heartbeat. */
  closeAll(): void {
    clearInterval(this.heartbeat);
    for (const client of this.clients) client.end();
    this.clients.clear();
  }

  private writeAll(chunk: string): void {
    for (const client of this.clients) client.write(chunk);
  }
}
