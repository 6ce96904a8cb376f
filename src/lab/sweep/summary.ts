/** The table printed at the end of a sweep: per run its status and final metrics (last logged values). */
import { join } from 'node:path';
import { type MetricRecord, MetricsLog } from '../../runs/metrics-log.ts';
import type { PlannedRun } from './plan.ts';
import { runStateOf } from './plan.ts';

/** Columns per sweep kind: header → metric name (the last value logged is shown). */
export const SUMMARY_COLUMNS: Record<'rl' | 'po', [string, string][]> = {
  rl: [
    ['scores', 'objective/scores'],
    ['rlhf reward', 'objective/rlhf_reward'],
    ['KL(π‖π_ref)', 'objective/kl'],
    ['entropy', 'objective/entropy'],
    ['eval proxy', 'eval/proxy_reward'],
    ['win rate', 'eval/win_rate'],
  ],
  po: [
    ['loss', 'loss'],
    ['accuracy', 'rewards/accuracies'],
    ['margin', 'rewards/margins'],
    ['eval accuracy', 'eval/rewards/accuracies'],
    ['win rate', 'eval/win_rate'],
  ],
};

export interface SummaryInput {
  name: string;
  /** run.json status, or a note such as "error" when the run could not start. */
  status: string;
  metrics: MetricRecord[];
}

/** The last value of each metric (absent metrics stay absent, never zero). */
export function lastValues(metrics: MetricRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of metrics)
    for (const [k, v] of Object.entries(line)) if (typeof v === 'number') out[k] = v;
  return out;
}

function cell(v: number | undefined): string {
  if (v === undefined) return '—';
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) !== 0 && Math.abs(v) < 1e-3 ? v.toExponential(2) : v.toFixed(3);
}

/** Pure: a plain-text table, one row per run. */
export function summaryTable(kind: 'rl' | 'po', runs: SummaryInput[]): string {
  const cols = SUMMARY_COLUMNS[kind];
  const head = ['run', 'status', 'step', ...cols.map(([h]) => h)];
  const rows = runs.map((r) => {
    const last = lastValues(r.metrics);
    return [r.name, r.status, cell(last.step), ...cols.map(([, m]) => cell(last[m]))];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Reads each planned run's folder for the table. */
export function readSummaries(plan: PlannedRun[], errors: Map<string, string>): SummaryInput[] {
  return plan.map((p) => ({
    name: p.name,
    status: errors.has(p.name) ? 'error' : runStateOf(p.dir),
    metrics: new MetricsLog(join(p.dir, 'metrics.jsonl')).read(),
  }));
}
