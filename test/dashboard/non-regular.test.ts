/**
 * Issue 17, item 8: a FIFO named metrics.jsonl used to block the dashboard's reads forever (on
 * libuv's four threads, so after a few requests every endpoint hung); and /api/runs/*\/metrics
 * followed a metrics.jsonl symlinked out of the served folder that /files/ refuses. Now both
 * routes (and the live event stream) apply one rule: regular files inside the served folder only.
 */

import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync, renameSync, rmSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DashboardHandle, startDashboard } from '../../src/dashboard/server.ts';
import { klRun, tempRoot, writeRun } from '../report/synthetic-runs.ts';
import { EventStream } from './http-helpers.ts';

let root: string;
let dashboard: DashboardHandle;
const fifos: string[] = [];
/** Every request must be answered within this (a blocked read never is). */
const LIMIT_MS = 4000;
const get = (path: string) => fetch(new URL(path, dashboard.url), { signal: AbortSignal.timeout(LIMIT_MS) });

/** Opens and closes each FIFO's write end, so a read blocked on it (the old behaviour) returns. */
function releaseFifoReaders(): void {
  for (const fifo of fifos)
    for (let i = 0; i < 16; i++) {
      try {
        closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
      } catch {
        break; // ENXIO: nobody is reading it
      }
    }
}

const SECRET_STEP = 424242;
let outsideMetrics = '';

beforeAll(async () => {
  root = await tempRoot('maxent-dash-fifo-');
  const outside = await tempRoot('maxent-dash-outside-');
  await writeRun(root, 'ok', klRun('ok-run', 0.05, 1e-6));
  // A run whose metrics.jsonl is a FIFO nobody writes to.
  await writeRun(root, 'fifo', klRun('fifo-run', 0.05, 1e-6));
  const fifo = join(root, 'fifo', 'metrics.jsonl');
  rmSync(fifo);
  execFileSync('mkfifo', [fifo]);
  fifos.push(fifo);
  // A run whose metrics.jsonl is a folder.
  await writeRun(root, 'folder', klRun('folder-run', 0.05, 1e-6));
  rmSync(join(root, 'folder', 'metrics.jsonl'));
  await mkdir(join(root, 'folder', 'metrics.jsonl'));
  // A run whose metrics.jsonl links outside the served folder, and one whose link stays inside.
  outsideMetrics = join(outside, 'metrics.jsonl');
  await writeFile(outsideMetrics, `${JSON.stringify({ step: SECRET_STEP, loss: 1 })}\n`);
  await writeRun(root, 'escape', klRun('escape-run', 0.05, 1e-6));
  rmSync(join(root, 'escape', 'metrics.jsonl'));
  await symlink(join(outside, 'metrics.jsonl'), join(root, 'escape', 'metrics.jsonl'));
  await writeRun(root, 'inside', klRun('inside-run', 0.05, 1e-6));
  renameSync(join(root, 'inside', 'metrics.jsonl'), join(root, 'inside', 'real.jsonl'));
  await symlink('real.jsonl', join(root, 'inside', 'metrics.jsonl'));
  dashboard = await startDashboard({ runDir: root, pollIntervalMs: 50 });
});

afterAll(async () => {
  releaseFifoReaders();
  await dashboard?.close();
});

describe('a FIFO or a folder named metrics.jsonl', () => {
  it('many concurrent metrics requests on the FIFO are answered (no lines), and so is every other endpoint', async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, () => get('/api/runs/fifo/metrics')));
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(await a.json()).toMatchObject({ id: 'fifo', lines: [], next: 0 });
    }
    const folder = await (await get('/api/runs/folder/metrics')).json();
    expect(folder).toMatchObject({ id: 'folder', lines: [] });
    expect((await get('/files/fifo/metrics.jsonl')).status).toBe(404);
    const runs = (await (await get('/api/runs')).json()).runs.map((r: { id: string }) => r.id);
    expect(runs).toEqual(['escape', 'fifo', 'folder', 'inside', 'ok']);
    const ok = await (await get('/api/runs/ok/metrics')).json();
    expect(ok.lines).toHaveLength(21);
    expect((await get('/files/ok/run.json')).status).toBe(200);
    expect((await get('/')).status).toBe(200);
  });

  it('the live event stream keeps serving the other runs', async () => {
    const stream = await EventStream.open(new URL('/api/events', dashboard.url).href);
    try {
      await writeFile(join(root, 'ok', 'metrics.jsonl'), `${JSON.stringify({ step: 22, loss: 0.5 })}\n`, {
        flag: 'a',
      });
      const e = await stream.waitFor(
        (ev) => ev.event === 'metrics' && (ev.data as { id: string }).id === 'ok',
      );
      expect((e.data as { lines: { step: number }[] }).lines.map((l) => l.step)).toContain(22);
    } finally {
      stream.close();
    }
  });
});

describe('symbolic links: one rule for /files/ and /api/runs/*/metrics', () => {
  it('a metrics.jsonl linking outside the served folder is refused by both routes', async () => {
    const api = await get('/api/runs/escape/metrics');
    expect(api.status).toBe(403);
    expect(await api.text()).not.toContain(String(SECRET_STEP));
    expect((await get('/files/escape/metrics.jsonl')).status).toBe(403);
  });

  it('the event stream never carries the outside file either', async () => {
    const stream = await EventStream.open(new URL('/api/events', dashboard.url).href);
    try {
      // The outside file grows, then a run inside does: once the inside line is seen, the poll
      // that would have sent the outside one has run too.
      await writeFile(outsideMetrics, `${JSON.stringify({ step: SECRET_STEP + 1, loss: 1 })}\n`, {
        flag: 'a',
      });
      await new Promise((r) => setTimeout(r, 200));
      await writeFile(join(root, 'ok', 'metrics.jsonl'), `${JSON.stringify({ step: 23, loss: 0.5 })}\n`, {
        flag: 'a',
      });
      await stream.waitFor((ev) => ev.event === 'metrics' && JSON.stringify(ev.data).includes('"step":23'));
      expect(JSON.stringify(stream.events)).not.toContain(String(SECRET_STEP));
    } finally {
      stream.close();
    }
  });

  it('a link that stays inside the folder is served by both', async () => {
    const api = await get('/api/runs/inside/metrics');
    expect(api.status).toBe(200);
    expect((await api.json()).lines).toHaveLength(21);
    expect((await get('/files/inside/metrics.jsonl')).status).toBe(200);
  });
});
