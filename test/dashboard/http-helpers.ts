/** HTTP helpers for dashboard tests: raw requests (no client-side path normalisation) and an SSE reader. */
import { get, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';

/** Status code and body of one request written verbatim on a socket (so `..` reaches the server as is). */
export function rawRequest(
  port: number,
  method: string,
  target: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let response = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      response += chunk;
    });
    socket.on('error', reject);
    socket.on('end', () => {
      const status = Number(response.match(/^HTTP\/1\.1 (\d{3})/)?.[1] ?? 0);
      resolve({ status, body: response.slice(response.indexOf('\r\n\r\n') + 4) });
    });
    socket.write(
      `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
    );
  });
}

/** One received Server-Sent Event. */
export interface ReceivedEvent {
  event: string;
  data: unknown;
}

/** A connection to an SSE endpoint that records events and can wait for one matching a predicate. */
export class EventStream {
  readonly events: ReceivedEvent[] = [];
  private buffer = '';
  private waiters: Array<() => void> = [];
  private response: IncomingMessage | null = null;

  private constructor() {}

  static open(url: string): Promise<EventStream> {
    const stream = new EventStream();
    return new Promise((resolve, reject) => {
      get(url, (response) => {
        stream.response = response;
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => stream.receive(chunk));
        resolve(stream);
      }).on('error', reject);
    });
  }

  get contentType(): string | undefined {
    return this.response?.headers['content-type'];
  }

  /** Resolves with the first event (already received or future) satisfying `match`. */
  async waitFor(match: (e: ReceivedEvent) => boolean, timeoutMs = 5000): Promise<ReceivedEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no matching event; got ${JSON.stringify(this.events)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  close(): void {
    this.response?.destroy();
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    let end = this.buffer.indexOf('\n\n');
    while (end !== -1) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const event = block.match(/^event: (.*)$/m)?.[1];
      const data = block.match(/^data: (.*)$/m)?.[1];
      if (event && data) this.events.push({ event, data: JSON.parse(data) });
      end = this.buffer.indexOf('\n\n');
    }
    for (const wake of this.waiters.splice(0)) wake();
  }
}
