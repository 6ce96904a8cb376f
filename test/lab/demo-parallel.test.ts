/**
 * `demo --jobs N`: the seeds' stages on worker processes give byte-identical run folders to the
 * in-process pipeline (both with one BLAS thread — OpenBLAS's, or torch's intra-op pool on MKL — so
 * the float32 sums run in the same order),
 * every stage's time is recorded, a cached rerun starts no worker, and a failing stage is an error
 * naming its seed and stage that leaves the finished stages in place.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDemoCommand } from '../../src/cli/commands/demo.ts';
import {
  demoConfig,
  demoStages,
  ON_POLICY_SIMPO,
  offlineArms,
  onlineGrid,
} from '../../src/lab/demo/pipeline.ts';
import { LabModels } from '../../src/trainers/adapters/index.ts';

const root = mkdtempSync(join(tmpdir(), 'demo-par-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function metricFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === 'metrics.jsonl' || e.name === 'proxy-agreement.json') out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

describe('demo stages on worker processes', () => {
  const parallel = join(root, 'parallel');
  const serial = join(root, 'serial');
  const logs: string[] = [];

  it('match the in-process pipeline byte for byte', async () => {
    const summary = await runDemoCommand({
      out: parallel,
      preset: 'smoke',
      fresh: true,
      seeds: [1, 2],
      jobs: 2,
      log: (m) => logs.push(m),
    });
    // The same two seeds in order, in one process of the checkout's CLI with one BLAS thread and one
    // torch thread, as the workers have (on MKL builds the default would give torch every core).
    execFileSync(
      process.execPath,
      ['bin/maxent-rlhf.mjs', 'demo', '--smoke', '--seeds', '1,2', '--jobs', '1', '--out', serial],
      { env: { ...process.env, OPENBLAS_NUM_THREADS: '1', MAXENT_THREADS: '1' }, stdio: 'pipe' },
    );
    const files = metricFiles(serial);
    // Every seed's SFT, RM, offline arms, on-policy SimPO, best-of-n and online runs, and the proxy agreement.
    const smoke = demoConfig('smoke', 1);
    expect(files).toHaveLength(2 * (5 + offlineArms(smoke).length + onlineGrid(smoke).length));
    expect(files).toContain(`seed-2/po/${ON_POLICY_SIMPO}/metrics.jsonl`);
    expect(metricFiles(parallel)).toEqual(files);
    for (const f of files)
      expect(readFileSync(join(parallel, f), 'utf8'), f).toBe(readFileSync(join(serial, f), 'utf8'));

    const stages = demoStages(join(parallel, 'seed-1'), demoConfig('smoke', 1)).map((s) => s.id);
    const json = JSON.parse(readFileSync(join(parallel, 'summary.json'), 'utf8'));
    expect(json.timings.jobs).toBe(2);
    expect(json.timings.stages).toHaveLength(2 * stages.length);
    for (const seed of [1, 2])
      expect(
        json.timings.stages
          .filter((t: { seed: number }) => t.seed === seed)
          .map((t: { stage: string }) => t.stage)
          .sort(),
      ).toEqual([...stages].sort());
    expect(summary.seeds).toEqual([1, 2]);
    expect(logs.join('\n')).toMatch(/✓ seed 2 · rl\/kl-b0\.2-lr0\.001 \(\d+\.\d s, \d+\/\d+\)/);
    // Worker log lines reach the caller, tagged with their seed.
    expect(logs.join('\n')).toMatch(/\[seed 1\] preferences: \d+ gold-labelled pairs/);
  });

  it('start no worker when every stage is cached', async () => {
    const stamp = statSync(join(parallel, 'seed-1', 'sft', 'metrics.jsonl')).mtimeMs;
    const json = await runDemoCommand({
      out: parallel,
      preset: 'smoke',
      fresh: false,
      seeds: [1, 2],
      jobs: 2,
      log: () => {},
    });
    expect(json.seeds).toEqual([1, 2]);
    expect(JSON.parse(readFileSync(join(parallel, 'summary.json'), 'utf8')).timings.stages).toEqual([]);
    expect(statSync(join(parallel, 'seed-1', 'sft', 'metrics.jsonl')).mtimeMs).toBe(stamp);
  });

  it('name the seed and stage of a failure and keep what finished', async () => {
    const out = join(root, 'broken');
    const seedDir = join(out, 'seed-1');
    const [data, init] = demoStages(seedDir, demoConfig('smoke', 1));
    const ctx = { models: new LabModels(), log: () => {}, progress: false };
    for (const stage of [data!, init!]) await stage.run(ctx);
    // A bad row in the SFT data: the SFT stage fails on it, and nothing after it starts.
    const train = join(seedDir, 'data', 'sft_train.jsonl');
    writeFileSync(train, `${readFileSync(train, 'utf8')}{"query": 3}\n`);
    await expect(
      runDemoCommand({ out, preset: 'smoke', fresh: false, seeds: [1], jobs: 2, log: () => {} }),
    ).rejects.toThrow(/demo: sft failed: .*sft_train\.jsonl/);
    expect(existsSync(join(seedDir, 'preferences'))).toBe(false);
    expect(existsSync(join(out, 'seed-1', 'init', 'config.json'))).toBe(true);
  });
});
