/**
 * `maxent-rlhf demo [--out DIR] [--quick] [--fresh]`: the lab's pipeline (src/lab/demo: data, SFT,
 * reward model, DPO/SimPO, the KL vs Maximum-Entropy grid), then the report of its runs (figures,
 * verdicts computed from the metrics, claims check) and a table of the online runs.
 */

import { readDistEnv } from '../../distributed/index.ts';
import { type DemoOptions, runDemo } from '../../lab/demo/pipeline.ts';
import { fmt } from '../../lab/demo/progress.ts';
import { writeReport } from '../../report/html.ts';
import { summarizeRun, verdictOf } from '../../report/verdict.ts';
import { readRuns } from '../../trainers/common/run-reader.ts';

export async function runDemoCommand(opts: DemoOptions): Promise<void> {
  if (readDistEnv() !== null)
    throw new Error(
      'demo runs in one process (WORLD_SIZE > 1 is set): launch sft, rm, po, rl or sweep data-parallel instead',
    );
  const log = opts.log ?? ((m: string) => console.error(m));
  const started = Date.now();
  await runDemo({ ...opts, log });
  const report = await writeReport(opts.out);
  log(await onlineSummary(opts.out));
  log(`\nreport: ${report.reportFile}  (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  for (const c of report.claims) log(`  ${c.statement}: ${c.status}`);
}

/** One line per online run: peak and final win rate, final proxy reward and KL, verdict. */
async function onlineSummary(out: string): Promise<string> {
  const runs = (await readRuns(out)).filter((r) => r.kind === 'rl');
  const rows = runs.map((r) => {
    const s = summarizeRun(r);
    return [
      r.name,
      fmt(s.peakWinRate, 2),
      fmt(s.finalWinRate, 2),
      fmt(s.finalProxyReward, 3),
      fmt(s.finalKl, 2),
      verdictOf(r).kind,
    ];
  });
  const head = ['run', 'peak win', 'final win', 'final proxy', 'final KL(π‖π_ref)', 'verdict'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => x.padEnd(widths[i]!)).join('  ');
  return `\n${line(head)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${rows.map(line).join('\n')}`;
}
