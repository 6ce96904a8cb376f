/**
 * `maxent-rlhf demo [--out DIR] [--seeds 1,2,3] [--quick] [--fresh]`: the lab's pipeline
 * (src/lab/demo: data, SFT, reward model, DPO/SimPO and its ablations, best-of-n, the KL vs
 * Maximum-Entropy grid) once per seed in DIR/seed-<s>/, then one report over every seed: the
 * per-run figures and verdicts, and the multi-seed summary (means and 95 % intervals, design
 * targets, the paper's six claims, the over-optimisation curve) in report.html and summary.json.
 */
import { writeFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { readDistEnv } from '../../distributed/index.ts';
import { DEMO_PRESETS } from '../../lab/demo/config.ts';
import { runStagesInParallel, type StageTiming } from '../../lab/demo/parallel.ts';
import { type DemoOptions, demoConfig, demoHeadroom, runDemo } from '../../lab/demo/pipeline.ts';
import { formatInterval, overoptimisationSpec, seedReportSections } from '../../lab/demo/seed-report.ts';
import { type DemoSummary, type SeedRuns, summarizeSeeds } from '../../lab/demo/seed-summary.ts';
import { renderSvg, svgToPng } from '../../report/figures.ts';
import { inlineSvg, writeReport } from '../../report/html.ts';
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

  const spec = overoptimisationSpec(summary);
  let figureHtml: string | null = null;
  if (spec) {
    const svg = await renderSvg(spec);
    const dir = join(opts.out, 'figures');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'overoptimisation.svg'), svg);
    await writeFile(join(dir, 'overoptimisation.png'), svgToPng(svg));
    figureHtml =
      `<figure id="overoptimisation">${inlineSvg(svg, 'overoptimisation')}<figcaption>Gold and proxy gain ` +
      'against √KL (<a href="figures/overoptimisation.svg">SVG</a>, <a href="figures/overoptimisation.png">PNG</a>)' +
      '</figcaption></figure>';
  }
  const report = await writeReport(opts.out, join(opts.out, 'report.html'), {
    sections: seedReportSections(summary, figureHtml),
  });
  const seconds = (Date.now() - started) / 1000;
  writeFileSync(
    join(opts.out, 'summary.json'),
    `${JSON.stringify({ preset: opts.preset, timings: { jobs, totalSeconds: seconds, seeds: timings, stages }, ...summary }, null, 2)}\n`,
  );
  log(formatSummary(summary));
  log(
    `\nreport: ${report.reportFile}, summary: ${join(opts.out, 'summary.json')}  (${seconds.toFixed(0)} s)`,
  );
  return summary;
}

/** Console tables: runs across seeds, then targets and claims with their verdicts. */
export function formatSummary(s: DemoSummary): string {
  const rows = s.runs
    .filter((r) => r.kind !== 'rm' && r.kind !== 'sft')
    .map((r) => [
      r.name,
      formatInterval(r.peakWinRate),
      formatInterval(r.finalWinRate),
      formatInterval(r.finalProxyReward),
      formatInterval(r.finalKl),
      Object.entries(r.verdicts)
        .map(([k, n]) => `${k} ×${n}`)
        .join(', ') || '—',
    ]);
  const head = ['run', 'peak win', 'final win', 'final proxy', 'final KL(π‖π_ref)', 'verdicts'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => x.padEnd(widths[i]!)).join('  ');
  const claims = [...s.targets, ...s.claims].map((c) => {
    const counts = c.seedsTested === undefined ? '' : ` (${c.seedsHolding}/${c.seedsTested} seeds)`;
    return `  ${c.statement}: ${c.verdict}${counts}\n    ${c.summary}`;
  });
  const fits = s.overoptimisation.fits.map(
    (f) =>
      `  ${f.method} [${f.form}]: gold α ${f.gold?.alpha.toFixed(3) ?? '—'}, β ${f.gold?.beta.toFixed(3) ?? '—'}, R² ${f.gold?.r2.toFixed(3) ?? '—'}; ` +
      `proxy α ${f.proxy?.alpha.toFixed(3) ?? '—'}, β ${f.proxy?.beta.toFixed(3) ?? '—'}, R² ${f.proxy?.r2.toFixed(3) ?? '—'}`,
  );
  return [
    `\nseeds ${s.seeds.join(', ')}: mean [95 % t-interval]; SFT win rate ${formatInterval(s.sft.winRate)}, oracle ${formatInterval(s.oracle.winRate)}`,
    line(head),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map(line),
    '\ntargets and claims (supported when the per-seed rule holds in a majority of seeds):',
    ...claims,
    '\nover-optimisation fits (Gao et al. 2023, pooled over seeds):',
    ...fits,
  ].join('\n');
}
