/** CLI entry point of the report: `maxent-rlhf report RUN_DIR` (wired by the CLI module). */
import { relative } from 'node:path';
import { writeReport } from './html.ts';

/** Path of `file` relative to the current directory when it lies below it, absolute otherwise. */
export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel === '' || rel.startsWith('..') ? file : rel;
}

/**
 * Writes `report.html` and `figures/` for every run under `runDir`, prints where they are and the
 * claims check, and returns the report's path.
 */
export async function runReportCommand(
  runDir: string,
  log: (line: string) => void = console.log,
): Promise<string> {
  const result = await writeReport(runDir);
  log(
    `Report: ${displayPath(result.reportFile)} (${result.runs} run(s), ${result.figureFiles.length / 2} figure(s))`,
  );
  for (const claim of result.claims) log(`  ${claim.statement}: ${claim.status}`);
  return result.reportFile;
}
