/**
 * The live dashboard: a read-only fastify server over a run folder.
 *
 *   GET /                           the page (uPlot charts, one per metric, live)
 *   GET /assets/*                   the page's own files (src/dashboard/public)
 *   GET /vendor/uplot/*             uPlot's dist folder from node_modules
 *   GET /api/runs                   { runs: [{ id, name, kind, labels, status }] }
 *   GET /api/runs/:id/metrics?from=N  { id, from, next, lines, torn } — metric lines N.. of a run
 *   GET /api/events                 Server-Sent Events: run, metrics, reset, removed
 *   GET /files/*                    any file inside the run folder (e.g. report.html), sandboxed
 *
 * The dashboard has no user accounts: it binds the loopback interface unless told otherwise, and
 * another interface needs a token (`--token`, sent as `?token=` once, then a same-site cookie, or as
 * `Authorization: Bearer`) or an explicit `--allow-remote`. Requests must name this server in their
 * Host header (a loopback name, or the bound address), so a page on another site cannot reach it
 * through DNS rebinding.
 *
 * Only GET and HEAD are answered (405 otherwise). Every file read goes through one rule (safe-path.ts):
 * confined to its root, symbolic links included, and only regular files — a FIFO named
 * metrics.jsonl reads as missing instead of blocking the server.
 */
import { timingSafeEqual } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { METRICS_FILE, type MetricsRead, readMetrics } from '../runs/run-reader.ts';
import { findRunById, listRuns, publicRun } from './run-index.ts';
import { POLL_INTERVAL_MS, RunWatcher, type WatchEvent } from './run-watcher.ts';
import { resolveWithin } from './safe-path.ts';
import { SseHub } from './sse-hub.ts';
import { sendFileWithin } from './static-files.ts';

export interface DashboardOptions {
  runDir: string;
  /** Interface to bind; loopback unless given. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Polling period of metrics files and run folders. */
  pollIntervalMs?: number;
  /** A secret every request must carry (required for a non-loopback host unless allowRemote). */
  token?: string;
  /** Serve a non-loopback host without a token (anyone who reaches the port reads every run). */
  allowRemote?: boolean;
}

export interface DashboardHandle {
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

/** The page's own static files. */
export const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));
/** uPlot's browser build, served from node_modules. */
export const UPLOT_DIST_DIR = dirname(createRequire(import.meta.url).resolve('uplot'));

const READ_ONLY_METHODS = new Set(['GET', 'HEAD']);

/** Content-Security-Policy of the page: everything from this origin only. */
const PAGE_CSP =
  "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'";
/** Files from the run folder are shown, never run: no scripts, no network. */
const FILES_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; sandbox";

/** Starts the dashboard on `host:port` (default 127.0.0.1 and a free port). */
export async function startDashboard(options: DashboardOptions): Promise<DashboardHandle> {
  const runDir = resolve(options.runDir);
  const folder = await stat(runDir).catch(() => null);
  if (folder === null) throw new Error(`dashboard: the run folder ${options.runDir} does not exist`);
  if (!folder.isDirectory()) throw new Error(`dashboard: ${options.runDir} is not a folder`);
  const host = options.host ?? '127.0.0.1';
  if (options.token !== undefined && options.token.length < 16)
    throw new Error('dashboard: --token must be at least 16 characters');
  if (!isLoopback(host) && options.token === undefined && !options.allowRemote)
    throw new Error(
      `dashboard: --host ${host} would serve every run to anyone who can reach this machine, without ` +
        'authentication: pass --token SECRET (requests must carry it), or --allow-remote to accept that',
    );
  const hub = new SseHub();
  const watcher = new RunWatcher(runDir, (event) => broadcastWatchEvent(hub, event));
  await watcher.start(options.pollIntervalMs ?? POLL_INTERVAL_MS);
  const app = buildApp(runDir, hub, {
    watcher,
    token: options.token,
    hosts: isLoopback(host) ? LOOPBACK_NAMES : null,
  });
  await app.listen({ host, port: options.port ?? 0 });
  const port = (app.server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const query = options.token ? `?token=${encodeURIComponent(options.token)}` : '';
  return {
    url: `http://${urlHost}:${port}/${query}`,
    host,
    port,
    async close() {
      watcher.stop();
      hub.closeAll();
      await app.close();
    },
  };
}

function broadcastWatchEvent(hub: SseHub, event: WatchEvent): void {
  const { type, ...data } = event;
  hub.broadcast(type, type === 'run' ? event.run : data);
}

/** Host names that reach only this machine. */
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

export function isLoopback(host: string): boolean {
  return LOOPBACK_NAMES.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host) || host.endsWith('.localhost');
}

/** The cookie that carries the token after the first `?token=` request. */
const TOKEN_COOKIE = 'maxent_dashboard_token';

export interface AppSecurity {
  /** The watcher whose metric tails answer `/api/runs/:id/metrics` (read from an offset). */
  watcher?: RunWatcher;
  token?: string;
  /** Host header names accepted (port aside); null: any (a non-loopback bind, chosen explicitly). */
  hosts?: ReadonlySet<string> | null;
}

function sameSecret(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The token a request carries: `?token=`, `Authorization: Bearer`, or the cookie. */
function tokenOf(request: FastifyRequest): { token: string | undefined; fromQuery: boolean } {
  const query = (request.query as Record<string, string | undefined> | undefined)?.token;
  if (query !== undefined) return { token: query, fromQuery: true };
  const auth = request.headers.authorization;
  if (auth?.startsWith('Bearer ')) return { token: auth.slice('Bearer '.length), fromQuery: false };
  const cookie = (request.headers.cookie ?? '')
    .split(';')
    .map((c) => c.trim())
    .find((c) => c.startsWith(`${TOKEN_COOKIE}=`));
  return {
    token: cookie ? decodeURIComponent(cookie.slice(TOKEN_COOKIE.length + 1)) : undefined,
    fromQuery: false,
  };
}

/** The host name of a Host header without its port (`[::1]:8080` → `[::1]`). */
function hostName(header: string | undefined): string {
  if (!header) return '';
  if (header.startsWith('[')) return header.slice(0, header.indexOf(']') + 1);
  return header.split(':')[0]!.toLowerCase();
}

/** The fastify app with every route; exported for in-process tests. */
export function buildApp(runDir: string, hub: SseHub, security: AppSecurity = {}): FastifyInstance {
  const app = Fastify({ logger: false });
  const hosts = security.hosts === undefined ? LOOPBACK_NAMES : security.hosts;
  app.addHook('onRequest', async (request, reply) => {
    if (hosts !== null && !hosts.has(hostName(request.headers.host))) {
      await reply.code(421).send({
        statusCode: 421,
        error: 'Misdirected Request',
        message: 'this dashboard answers only requests addressed to this machine by a loopback name',
      });
      return reply;
    }
    if (security.token !== undefined) {
      const { token, fromQuery } = tokenOf(request);
      if (!sameSecret(token, security.token)) {
        await reply
          .code(401)
          .send({ statusCode: 401, error: 'Unauthorized', message: 'a valid token is required' });
        return reply;
      }
      if (fromQuery)
        reply.header(
          'set-cookie',
          `${TOKEN_COOKIE}=${encodeURIComponent(token!)}; HttpOnly; SameSite=Strict; Path=/`,
        );
    }
    if (READ_ONLY_METHODS.has(request.method)) return;
    await reply.code(405).header('allow', 'GET, HEAD').send({ statusCode: 405, error: 'Method Not Allowed' });
    return reply;
  });
  app.get('/', (_request, reply) =>
    sendFileWithin(reply.header('content-security-policy', PAGE_CSP), PUBLIC_DIR, 'index.html'),
  );
  app.get('/assets/*', (request, reply) => sendFileWithin(reply, PUBLIC_DIR, wildcard(request)));
  app.get('/vendor/uplot/*', (request, reply) => sendFileWithin(reply, UPLOT_DIST_DIR, wildcard(request)));
  app.get('/files/*', (request, reply) =>
    sendFileWithin(reply.header('content-security-policy', FILES_CSP), runDir, wildcard(request)),
  );
  app.get('/api/runs', async (_request, reply) => {
    const runs = (await listRuns(runDir)).map(publicRun);
    return reply.header('cache-control', 'no-store').send({ runs });
  });
  app.get('/api/runs/:id/metrics', (request, reply) => sendMetrics(runDir, request, reply, security.watcher));
  app.get('/api/events', (request, reply) => {
    if (request.method === 'HEAD') return reply.header('content-type', 'text/event-stream').send();
    reply.hijack();
    hub.add(reply.raw);
    request.raw.on('close', () => reply.raw.end());
  });
  return app;
}

/** The decoded `*` part of a wildcard route. */
function wildcard(request: FastifyRequest): string {
  return (request.params as Record<string, string>)['*'] ?? '';
}

/** Metric lines `from`.. of one run (numbered as in metrics.jsonl, a torn last line excluded). */
async function sendMetrics(
  runDir: string,
  request: FastifyRequest,
  reply: FastifyReply,
  watcher?: RunWatcher,
): Promise<FastifyReply> {
  const { id } = request.params as { id: string };
  const fromText = (request.query as Record<string, string | undefined>).from ?? '0';
  if (!/^\d+$/.test(fromText)) {
    return reply
      .code(400)
      .send({ statusCode: 400, error: 'Bad Request', message: 'from must be an integer ≥ 0' });
  }
  const run = await findRunById(runDir, id);
  if (!run) return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `no run ${id}` });
  const from = Number(fromText);
  // The rule of /files/: a metrics.jsonl linking outside the served folder is refused, and anything
  // but a regular file reads as missing.
  const resolved = await resolveWithin(runDir, relative(runDir, join(run.dir, METRICS_FILE)));
  if (!resolved.ok && resolved.status === 403) {
    const message = `${METRICS_FILE} of run ${id} leads outside the served folder`;
    return reply.code(403).send({ statusCode: 403, error: 'Forbidden', message });
  }
  // Served from the watcher's tail of the file: caught up, then read from line `from`'s byte
  // offset (a request for the last lines of a large log no longer parses all of it).
  await watcher?.poll();
  const tail = watcher?.tailOf(id);
  if (tail && resolved.ok) {
    try {
      const lines = await tail.linesFrom(from);
      const body = { id, from, next: from + lines.length, lines, torn: tail.torn };
      return reply.header('cache-control', 'no-store').send(body);
    } catch (e) {
      const message = `cannot read ${METRICS_FILE} of run ${id}: ${(e as Error).message}`;
      return reply.code(503).send({ statusCode: 503, error: 'Service Unavailable', message });
    }
  }
  let metrics: MetricsRead = { lines: [], tornLine: null, malformedLines: [] };
  if (resolved.ok) {
    try {
      metrics = await readMetrics(run.dir, resolved.path);
    } catch (e) {
      const message = `cannot read ${METRICS_FILE} of run ${id}: ${(e as Error).message}`;
      return reply.code(503).send({ statusCode: 503, error: 'Service Unavailable', message });
    }
  }
  const lines = metrics.lines.slice(from);
  const body = { id, from, next: from + lines.length, lines, torn: metrics.tornLine !== null };
  return reply.header('cache-control', 'no-store').send(body);
}
