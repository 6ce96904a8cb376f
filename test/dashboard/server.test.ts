import { appendFile, mkdir, symlink, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDashboardCommand } from '../../src/dashboard/command.ts';
import { type DashboardHandle, startDashboard } from '../../src/dashboard/server.ts';
import { klRun, maxEntRun, tempRoot, writeRun } from '../report/synthetic-runs.ts';
import { EventStream, rawRequest } from './http-helpers.ts';

const SECRET = 'TOP-SECRET-OUTSIDE-THE-RUN-FOLDER';

let root: string;
let dashboard: DashboardHandle;
const api = (path: string) => fetch(new URL(path, dashboard.url));

beforeAll(async () => {
  root = await tempRoot('maxent-dash-');
  const outside = await tempRoot('maxent-outside-');
  await writeFile(join(outside, 'secret.txt'), SECRET);
  await writeRun(root, 'sweep/kl', klRun('kl-run', 0.05, 1e-6));
  await writeRun(root, 'sweep/maxent', maxEntRun('maxent-run', 0.1, 1e-6), '{"step": 21, "objective/kl": 1');
  await writeFile(join(root, 'report.html'), '<!doctype html><p>report</p>');
  await symlink(join(outside, 'secret.txt'), join(root, 'sweep/kl/escape.txt'));
  await symlink(outside, join(root, 'sweep/out'));
  dashboard = await startDashboard({ runDir: root, pollIntervalMs: 100 });
});

afterAll(async () => {
  await dashboard?.close();
});

describe('dashboard API', () => {
  it('lists runs with path ids, names, labels and status', async () => {
    const body = await (await api('/api/runs')).json();
    expect(body.runs).toEqual([
      {
        id: 'sweep/kl',
        name: 'kl-run',
        kind: 'rl',
        status: 'done',
        labels: expect.objectContaining({ regularizer: 'kl' }),
      },
      {
        id: 'sweep/maxent',
        name: 'maxent-run',
        kind: 'rl',
        status: 'done',
        labels: expect.objectContaining({ regularizer: 'entropy', coef: 0.1 }),
      },
    ]);
  });

  it('returns metric lines from N, excluding a torn last line', async () => {
    const body = await (await api('/api/runs/sweep%2Fmaxent/metrics?from=18')).json();
    expect(body).toMatchObject({ id: 'sweep/maxent', from: 18, next: 21, torn: true });
    expect(body.lines.map((l: { step: number }) => l.step)).toEqual([18, 19, 20]);
    const all = await (await api('/api/runs/sweep%2Fkl/metrics')).json();
    expect(all.lines).toHaveLength(21);
    expect(all.lines[5]['eval/win_rate']).toBe(0.55);
  });

  it('answers 404 for an unknown run id and 400 for a bad from', async () => {
    expect((await api('/api/runs/nope/metrics')).status).toBe(404);
    expect((await api('/api/runs/sweep%2Fkl/metrics?from=-1')).status).toBe(400);
    expect((await api('/api/runs/sweep%2Fkl/metrics?from=abc')).status).toBe(400);
  });

  it('serves the page, its assets, uPlot and files inside the run folder', async () => {
    const page = await api('/');
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('/vendor/uplot/uPlot.iife.min.js');
    expect((await api('/assets/dashboard.js')).status).toBe(200);
    const uplot = await api('/vendor/uplot/uPlot.iife.min.js');
    expect(uplot.headers.get('content-type')).toMatch(/javascript/);
    expect(await uplot.text()).toContain('uPlot');
    const report = await api('/files/report.html');
    expect(await report.text()).toContain('<p>report</p>');
    expect(report.headers.get('content-security-policy')).toContain('sandbox');
    expect((await (await api('/files/sweep/kl/run.json')).json()).name).toBe('kl-run');
  });
});

describe('dashboard security', () => {
  const attempts: Array<[string, number]> = [
    ['/files/../../../../../../etc/passwd', 403],
    ['/files/sweep/../../../../../etc/passwd', 403],
    ['/files/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd', 403],
    ['/files/..%2f..%2f..%2fetc%2fpasswd', 403],
    ['/files/%2E%2E/%2E%2E/etc/passwd', 403],
    ['/files//etc/passwd', 403],
    ['/files/%2fetc%2fpasswd', 403],
    ['/files/..%5c..%5cetc%5cpasswd', 403],
    ['/files/sweep/kl/escape.txt', 403],
    ['/files/sweep/out/secret.txt', 403],
    ['/assets/../server.ts', 403],
    ['/assets/%2e%2e/server.ts', 403],
    ['/vendor/uplot/../package.json', 403],
    ['/files/%252e%252e%252fetc%252fpasswd', 404],
    ['/../../../etc/passwd', 404],
    ['/api/runs/..%2F..%2Fetc/metrics', 404],
    ['/files/sweep/kl/nope.json', 404],
  ];

  it.each(attempts)('refuses %s with %i and leaks nothing', async (target, status) => {
    const response = await rawRequest(dashboard.port, 'GET', target);
    expect(response.status).toBe(status);
    expect(response.body).not.toContain(SECRET);
    expect(response.body).not.toContain('root:');
  });

  it('answers 405 to every method but GET and HEAD', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      for (const target of ['/api/runs', '/files/report.html', '/nowhere']) {
        const response = await rawRequest(dashboard.port, method, target);
        expect(response.status, `${method} ${target}`).toBe(405);
      }
    }
    expect((await rawRequest(dashboard.port, 'HEAD', '/api/runs')).status).toBe(200);
  });

  it('binds 127.0.0.1 by default', async () => {
    expect(dashboard.host).toBe('127.0.0.1');
    expect(new URL(dashboard.url).hostname).toBe('127.0.0.1');
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    if (external) {
      const refused = await new Promise<boolean>((resolve) => {
        const socket = connect(dashboard.port, external.address);
        socket.on('connect', () => {
          socket.destroy();
          resolve(false);
        });
        socket.on('error', () => resolve(true));
      });
      expect(refused).toBe(true);
    }
  });
});

describe('dashboard live events', () => {
  it('pushes appended metric lines and newly appearing runs over SSE', async () => {
    const stream = await EventStream.open(new URL('/api/events', dashboard.url).href);
    try {
      expect(stream.contentType).toMatch(/text\/event-stream/);
      // Completing the torn line makes line 21 of the MaxEnt run appear.
      await appendFile(join(root, 'sweep/maxent/metrics.jsonl'), '.5}\n{"step": 22, "objective/kl": 12}\n');
      const metrics = await stream.waitFor((e) => e.event === 'metrics');
      expect(metrics.data).toEqual({
        id: 'sweep/maxent',
        from: 21,
        lines: [
          { step: 21, 'objective/kl': 1.5 },
          { step: 22, 'objective/kl': 12 },
        ],
      });
      await mkdir(join(root, 'late'));
      await writeRun(root, 'late/run', klRun('late-run', 0.1, 1e-7));
      const run = await stream.waitFor((e) => e.event === 'run');
      expect(run.data).toMatchObject({ id: 'late/run', name: 'late-run', status: 'done' });
      const lines = await stream.waitFor(
        (e) => e.event === 'metrics' && (e.data as { id: string }).id === 'late/run',
      );
      expect(lines.data).toMatchObject({ from: 0 });
    } finally {
      stream.close();
    }
  });
});

describe('runDashboardCommand', () => {
  it('prints the URL and returns a handle that closes even with an event stream open', async () => {
    const lines: string[] = [];
    const handle = await runDashboardCommand(root, {}, (l) => lines.push(l));
    const stream = await EventStream.open(new URL('/api/events', handle.url).href);
    try {
      expect(lines[0]).toContain(handle.url);
      expect((await fetch(new URL('/api/runs', handle.url))).status).toBe(200);
      await handle.close();
      await expect(fetch(new URL('/api/runs', handle.url))).rejects.toThrow();
    } finally {
      stream.close();
    }
  });
});
