/**
 * Who may read the dashboard: loopback by default; another interface only with a token or an
 * explicit --allow-remote; requests naming another host (DNS rebinding) refused; and metric lines
 * served from their byte offset, not by parsing the whole log per request.
 */
import { appendFile, open, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DashboardHandle, startDashboard } from '../../src/dashboard/server.ts';
import { klRun, tempRoot, writeRun } from '../report/synthetic-runs.ts';

let root: string;
const open_: DashboardHandle[] = [];
const start = async (o: Parameters<typeof startDashboard>[0]) => {
  const d = await startDashboard(o);
  open_.push(d);
  return d;
};
beforeAll(async () => {
  root = await tempRoot('maxent-dash-access-');
  await writeRun(root, 'kl', klRun('kl-run', 0.05, 1e-6));
});
afterAll(async () => {
  for (const d of open_) await d.close();
});

/** Status of a GET with the given Host header, written verbatim. */
function withHost(port: number, host: string, path = '/api/runs'): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let response = '';
    socket.setEncoding('utf8');
    socket.on('data', (c) => {
      response += c;
    });
    socket.on('error', reject);
    socket.on('end', () => resolve(Number(response.match(/^HTTP\/1\.1 (\d{3})/)?.[1] ?? 0)));
    socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  });
}

describe('binding', () => {
  it('a non-loopback host without a token or --allow-remote is refused, saying how', async () => {
    await expect(startDashboard({ runDir: root, host: '0.0.0.0' })).rejects.toThrow(
      /--host 0\.0\.0\.0 would serve every run to anyone .* pass --token SECRET .* or --allow-remote/,
    );
  });

  it('--allow-remote binds it, and then any Host is answered', async () => {
    const d = await start({ runDir: root, host: '0.0.0.0', allowRemote: true });
    expect(await withHost(d.port, 'dashboard.example:1234')).toBe(200);
  });
});

describe('the Host header on a loopback dashboard', () => {
  it('loopback names are answered; any other name (DNS rebinding) gets 421', async () => {
    const d = await start({ runDir: root });
    for (const host of ['127.0.0.1', `127.0.0.1:${d.port}`, `localhost:${d.port}`, '[::1]:80'])
      expect(await withHost(d.port, host), host).toBe(200);
    for (const host of ['evil.example', `evil.example:${d.port}`, '', '10.0.0.1'])
      expect(await withHost(d.port, host), host).toBe(421);
  });
});

describe('a token', () => {
  const token = 'a-long-enough-secret-1234';
  it('is required on every route; ?token= sets a cookie that then suffices; Bearer works too', async () => {
    const d = await start({ runDir: root, token });
    expect(d.url).toContain(`?token=${token}`);
    const base = `http://127.0.0.1:${d.port}`;
    for (const path of ['/', '/api/runs', '/api/runs/kl/metrics?from=0', '/files/kl/run.json'])
      expect((await fetch(`${base}${path}`)).status, path).toBe(401);
    expect((await fetch(`${base}/api/runs?token=wrong-secret-of-the-same-len`)).status).toBe(401);
    const first = await fetch(`${base}/api/runs?token=${token}`);
    expect(first.status).toBe(200);
    const cookie = first.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly; SameSite=Strict/);
    const again = await fetch(`${base}/api/runs/kl/metrics?from=0`, {
      headers: { cookie: cookie.split(';')[0]! },
    });
    expect(again.status).toBe(200);
    expect((await again.json()).lines.length).toBeGreaterThan(0);
    expect((await fetch(`${base}/api/runs`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(
      200,
    );
  });

  it('shorter than 16 characters is refused', async () => {
    await expect(startDashboard({ runDir: root, token: 'short' })).rejects.toThrow(/at least 16 characters/);
  });
});

describe('metrics from an offset', () => {
  it('from=N reads from line N: the lines before it are not parsed again', async () => {
    const dir = join(root, 'long');
    await writeRun(dir, '', klRun('long', 0.05, 1e-6));
    const file = join(dir, 'metrics.jsonl');
    const lines = Array.from({ length: 1000 }, (_, i) => JSON.stringify({ step: i + 1, loss: i / 1000 }));
    await writeFile(file, `${lines.join('\n')}\n`);
    const d = await start({ runDir: dir });
    const id = ((await (await fetch(`${d.url}api/runs`)).json()).runs[0] as { id: string }).id;
    const get = (from: number) =>
      fetch(`${d.url}api/runs/${encodeURIComponent(id)}/metrics?from=${from}`).then((r) => r.json());
    expect((await get(995)).lines.map((l: { step: number }) => l.step)).toEqual([996, 997, 998, 999, 1000]);
    // Blank out the first 500 lines in place (same size, same file): a server that parses the whole
    // file per request would now number the lines differently; one that reads from the offset of
    // line 995 does not notice.
    const head = lines.slice(0, 500).join('\n').length;
    const handle = await open(file, 'r+');
    await handle.write(Buffer.alloc(head, 0x20), 0, head, 0);
    await handle.close();
    expect((await get(995)).lines.map((l: { step: number }) => l.step)).toEqual([996, 997, 998, 999, 1000]);
    await appendFile(file, `${JSON.stringify({ step: 1001, loss: 1 })}\n`);
    const tail = await get(999);
    expect(tail.lines.map((l: { step: number }) => l.step)).toEqual([1000, 1001]);
    expect(tail.next).toBe(1001);
  });
});
