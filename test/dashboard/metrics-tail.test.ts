import { appendFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MetricsTail } from '../../src/dashboard/metrics-tail.ts';
import { readMetrics } from '../../src/runs/run-reader.ts';
import { tempRoot } from '../report/synthetic-runs.ts';

async function metricsFile(initial: string) {
  const dir = await tempRoot('maxent-tail-');
  const file = join(dir, 'metrics.jsonl');
  await writeFile(file, initial);
  return { dir, file };
}

describe('MetricsTail', () => {
  it('returns only appended lines, numbered from the first unseen line', async () => {
    const { file } = await metricsFile('{"step":0,"a":1}\n{"step":1,"a":2}\n');
    const tail = new MetricsTail(file);
    expect(await tail.read()).toEqual({
      reset: false,
      from: 0,
      lines: [
        { step: 0, a: 1 },
        { step: 1, a: 2 },
      ],
    });
    expect(await tail.read()).toEqual({ reset: false, from: 2, lines: [] });
    await appendFile(file, '{"step":2,"a":3}\n');
    expect(await tail.read()).toEqual({ reset: false, from: 2, lines: [{ step: 2, a: 3 }] });
  });

  it('holds a torn line back until it is complete, even when split inside a UTF-8 character', async () => {
    const { file } = await metricsFile('{"step":0}\n');
    const tail = new MetricsTail(file);
    await tail.read();
    const line = Buffer.from('{"step":1,"α":0.5}\n');
    const cut = line.indexOf(Buffer.from('α')) + 1; // between the two bytes of α
    await appendFile(file, line.subarray(0, cut));
    expect((await tail.read()).lines).toEqual([]);
    await appendFile(file, line.subarray(cut));
    expect(await tail.read()).toEqual({ reset: false, from: 1, lines: [{ step: 1, α: 0.5 }] });
  });

  it('numbers lines exactly as readMetrics does (malformed lines skipped, unterminated object accepted)', async () => {
    const text = '{"step":0}\nnot json\n\n{"step":1}\n{"step":2}';
    const { dir, file } = await metricsFile(text);
    const tail = new MetricsTail(file);
    const chunk = await tail.read();
    expect(chunk.lines).toEqual((await readMetrics(dir)).lines);
    await appendFile(file, '\n{"step":3}\n');
    expect(await tail.read()).toEqual({ reset: false, from: 3, lines: [{ step: 3 }] });
  });

  it('starts over when the file is truncated or replaced', async () => {
    const { dir, file } = await metricsFile('{"step":0}\n{"step":1}\n');
    const tail = new MetricsTail(file);
    await tail.read();
    await writeFile(file, '{"step":9}\n');
    expect(await tail.read()).toEqual({ reset: true, from: 0, lines: [{ step: 9 }] });
    await writeFile(join(dir, 'next.jsonl'), '{"step":5}\n{"step":6}\n');
    await rename(join(dir, 'next.jsonl'), file);
    expect(await tail.read()).toEqual({ reset: true, from: 0, lines: [{ step: 5 }, { step: 6 }] });
  });

  it('reads a missing file as no lines', async () => {
    const dir = await tempRoot('maxent-tail-');
    expect(await new MetricsTail(join(dir, 'metrics.jsonl')).read()).toEqual({
      reset: false,
      from: 0,
      lines: [],
    });
  });
});
