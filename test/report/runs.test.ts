import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findRuns, parseMetricsText, readMetrics, readRun, readRuns } from '../../src/runs/run-reader.ts';
import { dpoRun, klRun, tempRoot, writeRun } from './synthetic-runs.ts';

describe('findRuns', () => {
  it('finds run folders at any depth, including the root itself, sorted', async () => {
    const root = await tempRoot();
    await writeRun(root, 'sweep/lr1e-6/a0.1', klRun('deep', 0.1, 1e-6));
    await writeRun(root, 'b', dpoRun('shallow', 0.1));
    await mkdir(join(root, 'empty/nothing'), { recursive: true });
    expect(await findRuns(root)).toEqual([join(root, 'b'), join(root, 'sweep/lr1e-6/a0.1')]);
    await writeFile(join(root, 'run.json'), '{}');
    expect((await findRuns(root))[0]).toBe(root);
  });

  it('does not look into checkpoints/ of a run nor follow symbolic links', async () => {
    const root = await tempRoot();
    const outside = await tempRoot();
    await writeRun(outside, 'elsewhere', klRun('outside', 0.1, 1e-6));
    const run = await writeRun(root, 'r', klRun('r', 0.1, 1e-6));
    await writeRun(run, 'checkpoints/step-1', klRun('not-a-run', 0.1, 1e-6));
    await symlink(outside, join(root, 'link'));
    expect(await findRuns(root)).toEqual([run]);
  });
});

describe('readMetrics', () => {
  it('reads every complete line and ignores, but reports, a torn final line', async () => {
    const root = await tempRoot();
    const dir = await writeRun(root, 'r', klRun('r', 0.1, 1e-6), '{"step": 99, "objective/kl": 0.');
    const read = await readMetrics(dir);
    expect(read.lines).toHaveLength(21);
    expect(read.lines.at(-1)?.step).toBe(20);
    expect(read.tornLine).toBe('{"step": 99, "objective/kl": 0.');
    expect(read.malformedLines).toEqual([]);
  });

  it('accepts a complete final object without newline and skips malformed middle lines', () => {
    const read = parseMetricsText('{"step":0,"a":1}\nnot json\n[1,2]\n\n{"step":1,"a":2,"note":"x"}');
    expect(read.lines).toEqual([
      { step: 0, a: 1 },
      { step: 1, a: 2 },
    ]);
    expect(read.tornLine).toBeNull();
    expect(read.malformedLines).toEqual([2, 3]);
  });

  it('reads a run folder without metrics.jsonl as no lines', async () => {
    const root = await tempRoot();
    await writeFile(join(root, 'run.json'), JSON.stringify({ name: 'fresh', kind: 'rl', status: 'running' }));
    const run = await readRun(root);
    expect(run).toMatchObject({ name: 'fresh', kind: 'rl', status: 'running', labels: {}, metrics: [] });
  });
});

describe('readRuns', () => {
  it('returns typed records with identity, labels and metrics', async () => {
    const root = await tempRoot();
    await writeRun(root, 'x', dpoRun('dpo-b0.1', 0.1));
    const [run] = await readRuns(root);
    expect(run?.name).toBe('dpo-b0.1');
    expect(run?.kind).toBe('po');
    expect(run?.labels.algorithm).toBe('dpo');
    expect(run?.metrics).toHaveLength(10);
    expect(run?.metrics[3]?.['ref/logratio']).toBeCloseTo(-0.47, 12);
  });

  it('falls back to the folder name when run.json is half-written', async () => {
    const root = await tempRoot();
    await mkdir(join(root, 'half'));
    await writeFile(join(root, 'half/run.json'), '{"name": "hal');
    const [run] = await readRuns(root);
    expect(run).toMatchObject({ name: 'half', status: 'unknown', kind: 'unknown' });
  });
});
