/**
 * Runs a planned sweep one run at a time: finished runs are skipped, the others started or resumed
 * through `runPoint` (the CLI's training command). A failing run does not stop the sweep; it is
 * reported in the final table and the returned errors.
 */
import type { PlannedRun } from './plan.ts';
import { readSummaries, summaryTable } from './summary.ts';

export interface SweepRunOptions {
  kind: 'rl' | 'po';
  plan: PlannedRun[];
  runPoint: (run: PlannedRun) => Promise<void>;
  print?: (line: string) => void;
  /**
   * Stop at the first failing run instead of going on (data-parallel sweeps: a rank that moved on
   * alone would issue the next run's collectives against its peers' current ones).
   */
  stopOnError?: boolean;
}

export interface SweepResult {
  errors: { name: string; message: string }[];
  table: string;
}

export async function runSweep(options: SweepRunOptions): Promise<SweepResult> {
  const print = options.print ?? ((l: string) => console.log(l));
  const errors = new Map<string, string>();
  const n = options.plan.length;
  for (const [i, run] of options.plan.entries()) {
    const tag = `[${i + 1}/${n}] ${run.name}`;
    if (run.action === 'skip') {
      print(`${tag}: done, skipped`);
      continue;
    }
    print(`${tag}: ${run.action === 'start' ? 'starting' : `resuming (${run.state})`} in ${run.dir}`);
    try {
      await options.runPoint(run);
    } catch (e) {
      if (options.stopOnError) throw e;
      const message = e instanceof Error ? e.message : String(e);
      errors.set(run.name, message);
      print(`${tag}: failed: ${message}`);
    }
  }
  const table = summaryTable(options.kind, readSummaries(options.plan, errors));
  print(`\n${table}`);
  return { errors: [...errors].map(([name, message]) => ({ name, message })), table };
}
