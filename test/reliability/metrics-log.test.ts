/**
 * metrics.jsonl integrity: a torn last line (a crash mid-append) is cut on resume, lines past the
 * resumed checkpoint are dropped, and no step ever appears twice. Expected file contents are built
 * here by hand, byte for byte.
 */
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MetricsLog } from '../../src/runs/metrics-log.ts';
import { banditConfig, runBandit } from './fixtures/bandit.ts';
import { compareMetrics, metricLines } from './fixtures/compare.ts';

const root = mkdtempSync(join(tmpdir(), 'reliability-metrics-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const fresh = () => join(root, `m${counter++}`);

const line = (step: number) => `${JSON.stringify({ step, loss: 1 / (step + 1), lr: 0.1 })}\n`;
const lines = (...steps: number[]) => steps.map(line).join('');

function logWith(content: string): { log: MetricsLog; path: string } {
  const path = `${fresh()}.jsonl`;
  writeFileSync(path, content);
  return { log: new MetricsLog(path), path };
}

describe('MetricsLog.repair', () => {
  const CASES: {
    what: string;
    content: string;
    lastStep: number;
    expected: string;
    torn: number;
    dropped: number;
  }[] = [
    {
      what: 'a torn last line',
      content: `${lines(1, 2, 3)}{"step":4,"lo`,
      lastStep: 3,
      expected: lines(1, 2, 3),
      torn: 13,
      dropped: 0,
    },
    {
      what: 'a torn line and lines past the checkpoint',
      content: `${lines(1, 2, 3, 4, 5)}{"st`,
      lastStep: 3,
      expected: lines(1, 2, 3),
      torn: 4,
      dropped: 2,
    },
    {
      what: 'a whole JSON object without its newline (torn before the \\n)',
      content: `${lines(1, 2)}{"step":3}`,
      lastStep: 3,
      expected: lines(1, 2),
      torn: 10,
      dropped: 0,
    },
    {
      what: 'a tail of NUL bytes (a crash on a journaling file system)',
      content: `${lines(1, 2)}\0\0\0\0\0\0`,
      lastStep: 2,
      expected: lines(1, 2),
      torn: 6,
      dropped: 0,
    },
    {
      what: 'an intact log',
      content: lines(0, 1, 2),
      lastStep: 2,
      expected: lines(0, 1, 2),
      torn: 0,
      dropped: 0,
    },
    {
      what: 'resume from scratch (lastStep −1)',
      content: `${lines(0, 1, 2)}{"x`,
      lastStep: -1,
      expected: '',
      torn: 3,
      dropped: 3,
    },
    { what: 'an empty file', content: '', lastStep: 5, expected: '', torn: 0, dropped: 0 },
  ];
  for (const c of CASES) {
    it(c.what, () => {
      const { log, path } = logWith(c.content);
      const r = log.repair(c.lastStep);
      expect(readFileSync(path, 'utf8')).toBe(c.expected);
      expect(r).toEqual({ tornBytes: c.torn, droppedLines: c.dropped });
    });
  }

  it('a garbage line in the middle: no valid line is cut and no step is lost or doubled', () => {
    // E.g. a block of NULs left by a crash, followed by later appends made without a repair.
    const { log, path } = logWith(`${lines(1, 2)}\0\0\0\0\n${lines(3, 4, 5)}`);
    log.repair(4);
    const text = readFileSync(path, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const parsed = text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { step: number });
    expect(parsed.map((p) => p.step)).toEqual([1, 2, 3, 4]);
    expect(text).toBe(lines(1, 2, 3, 4));
    expect(log.read().map((r) => r.step)).toEqual([1, 2, 3, 4]);
  });

  it('a missing file is left missing', () => {
    const path = join(fresh(), 'metrics.jsonl');
    expect(new MetricsLog(path).repair(3)).toEqual({ tornBytes: 0, droppedLines: 0 });
    expect(existsSync(path)).toBe(false);
  });

  it('read() ignores a torn last line', () => {
    const { log } = logWith(`${lines(1, 2)}{"step":3,`);
    expect(log.read().map((r) => r.step)).toEqual([1, 2]);
  });
});

describe('end to end: crash, torn last line, resume', () => {
  it('the torn line is cut, steps past the checkpoint are dropped, and the log equals an uninterrupted run', async () => {
    const config = banditConfig({ steps: 12, checkpointEvery: 3 });
    const straight = fresh();
    await runBandit({ runDir: straight, config });

    const run = fresh();
    await expect(
      runBandit({
        runDir: run,
        config,
        onStep: (step) => {
          if (step === 8) throw new Error('simulated crash');
        },
      }),
    ).rejects.toThrow('simulated crash');
    const torn = '{"step":9,"objective/scores":0.12';
    appendFileSync(join(run, 'metrics.jsonl'), torn);
    const messages: string[] = [];
    await runBandit({ runDir: run, config, log: (m) => messages.push(m) });
    expect(messages.join('\n')).toContain(
      `(step 6); metrics log: dropped 2 lines after that step and ${torn.length} torn bytes`,
    );
    const a = metricLines(join(straight, 'metrics.jsonl'));
    const b = metricLines(join(run, 'metrics.jsonl'));
    const steps = b.map((l) => l.step);
    expect(steps).toEqual(Array.from({ length: 13 }, (_, i) => i));
    expect(new Set(steps).size).toBe(steps.length);
    for (const [k, d] of compareMetrics(a, b)) expect(d, k).toBe(0);
    console.log(`[metrics] ${messages.find((m) => m.startsWith('resumed'))!.replace(root, '<tmp>')}`);
  });
});
