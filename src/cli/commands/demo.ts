/**
 * `maxent-rlhf demo [--out DIR] [--seeds 1,2,3] [--quick] [--fresh]`: the lab's pipeline
 * (src/lab/demo: data, SFT, reward model, DPO/SimPO and its ablations, best-of-n, the KL vs
 * Maximum-Entropy grid) once per seed in DIR/seed-<s>/, then one report over every seed: the
 * per-run figures and verdicts, and the multi-seed summary (means and 95 % intervals, design
 * targets, the paper's six claims, the over-optimisation curve) in report.html and summary.json,
 * both written by src/report (this command only runs the stages and hands their folders over).
 */
import { rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { readDistEnv } from '../../distributed/index.ts';
import { DEMO_PRESETS } from '../../lab/demo/config.ts';
import { runStagesInParallel, type StageTiming } from '../../lab/demo/parallel.ts';
import { type DemoOptions, demoConfig, demoHeadroom, runDemo } from '../../lab/demo/pipeline.ts';
import { type DemoSummary, summarizeSeeds } from '../../report/claims.ts';
import { formatSummary, writeDemoReport } from '../../report/demo-html.ts';
import type { SeedRuns } from '../../report/seeds.ts';
import { readRuns } from '../../runs/run-reader.ts';
import { createSimpoLoss, runTheoryChecks } from '../../theory/index.ts';

export interface DemoCommandOptions extends Omit<DemoOptions, 'seed'> {
  /** Seeds, one pipeline each (default: 1, 2, 3 for the default preset, 1 for quick and smoke). */
  seeds?: number[];
  /** Worker processes running the seeds' stages side by side (default {@link defaultJobs}); 1: this process, in order. */
  jobs?: number;
}

/** The seeds a preset runs when --seeds is not given. */
export function defaultSeeds(preset: DemoOptions['preset']): number[] {
  return preset === 'default' ? [1, 2, 3] : [DEMO_PRESETS[preset].seed];
}

/** Parses `--seeds 1,2,3` (distinct non-negative integers). */
export function parseSeeds(text: string): number[] {
  const seeds = text.split(',').map((s) => s.trim());
  const out = seeds.map((s) => {
    const n = Number(s);
    if (s === '' || !Number.isInteger(n) || n < 0)
      throw new Error(`--seeds: "${s}" is not a non-negative integer (expected e.g. --seeds 1,2,3)`);
    return n;
  });
  if (new Set(out).size !== out.length) throw new Error(`--seeds: "${text}" repeats a seed`);
  return out;
}

export const seedFolder = (out: string, seed: number) => join(out, `seed-${seed}`);

/** Worker processes of `demo` when --jobs is not given: one per core, at most 8. */
export function defaultJobs(): number {
  return Math.max(1, Math.min(availableParallelism(), 8));
}

export async function runDemoCommand(opts: DemoCommandOptions): Promise<DemoSummary> {
  if (readDistEnv() !== null)
    throw new Error(
      'demo runs in one process (WORLD_SIZE > 1 is set): launch sft, rm, po, rl or sweep data-parallel instead',
    );
  const log = opts.log ?? ((m: string) => console.error(m));
  const seeds = opts.seeds ?? defaultSeeds(opts.preset);
  const jobs = opts.jobs ?? defaultJobs();
  const started = Date.now();
  if (opts.fresh) await rm(opts.out, { recursive: true, force: true });
  const timings: { seed: number; seconds: number }[] = [];
  let stages: StageTiming[] | undefined;
  if (jobs <= 1) {
    for (const seed of seeds) {
      const t0 = Date.now();
      log(`\n== seed ${seed} → ${seedFolder(opts.out, seed)}`);
      await runDemo({ ...opts, out: seedFolder(opts.out, seed), fresh: false, seed, log });
      timings.push({ seed, seconds: (Date.now() - t0) / 1000 });
    }
  } else {
    log(`demo: seeds ${seeds.join(', ')} in ${opts.out}, ${jobs} worker processes`);
    stages = await runStagesInParallel({
      preset: opts.preset,
      family: opts.family,
      seeds: seeds.map((seed) => ({ seed, out: seedFolder(opts.out, seed) })),
      workers: jobs,
      log,
    });
    for (const seed of seeds)
      timings.push({
        seed,
        seconds: stages.filter((t) => t.seed === seed).reduce((a, t) => a + t.seconds, 0),
      });
  }
  const oracle = seeds.map((seed) => ({
    seed,
    winRate: demoHeadroom(join(seedFolder(opts.out, seed), 'data'), demoConfig(opts.preset, seed))
      .oracleWinRate,
  }));
  const perSeed: SeedRuns[] = [];
  for (const seed of seeds) perSeed.push({ seed, runs: await readRuns(seedFolder(opts.out, seed)) });
  const theory = runTheoryChecks({ instances: 5, seed: 1, preferenceLoss: createSimpoLoss });
  const summary = summarizeSeeds(perSeed, oracle, theory);
  const seconds = (Date.now() - started) / 1000;
  const written = await writeDemoReport(opts.out, summary, perSeed, {
    preset: opts.preset,
    timings: { jobs, totalSeconds: seconds, seeds: timings, stages },
  });
  log(formatSummary(summary));
  log(`\nreport: ${written.reportFile}, summary: ${written.summaryFile}  (${seconds.toFixed(0)} s)`);
  return summary;
}
