/**
 * Plain-text rendering of the theory rows for `maxent-rlhf theory`: fixed-width columns, long cells
 * wrapped on word boundaries, one blank-free block per row.
 */
import type { CheckRow } from './check-row.ts';

interface Column {
  header: string;
  width: number;
  cell(row: CheckRow): string;
}

const COLUMNS: Column[] = [
  { header: 'id', width: 12, cell: (r) => r.id },
  { header: 'statement', width: 46, cell: (r) => `${r.statement} [${r.metric}]` },
  { header: 'assumption', width: 28, cell: (r) => r.assumption },
  { header: 'max dev', width: 9, cell: (r) => formatNumber(r.maxDeviation) },
  {
    header: 'tolerance',
    width: 9,
    cell: (r) => `${r.expectation === 'holds' ? '≤' : '>'} ${formatNumber(r.tolerance)}`,
  },
  { header: 'result', width: 26, cell: (r) => `${r.pass ? 'pass' : 'FAIL'}: ${r.verdict}` },
];

/** The table, one header line, a rule, then each row's wrapped lines; ends with a summary line. */
export function formatTheoryTable(rows: readonly CheckRow[]): string {
  const lines = [
    joinCells(COLUMNS.map((c) => c.header)),
    COLUMNS.map((c) => '-'.repeat(c.width)).join('-+-'),
  ];
  for (const row of rows) {
    const wrapped = COLUMNS.map((c) => wrap(c.cell(row), c.width));
    const height = Math.max(...wrapped.map((w) => w.length));
    for (let i = 0; i < height; i++) lines.push(joinCells(wrapped.map((w) => w[i] ?? '')));
    lines.push('');
  }
  const passed = rows.filter((r) => r.pass).length;
  const instances = rows[0]?.instances ?? 0;
  lines.push(
    `${passed}/${rows.length} checks pass (${instances} random instances per row; "> tol" rows must deviate in every instance)`,
  );
  return lines.join('\n');
}

function joinCells(cells: readonly string[]): string {
  return cells
    .map((text, i) => text.padEnd(COLUMNS[i]!.width))
    .join(' | ')
    .trimEnd();
}

/** Greedy word wrap; a single word longer than the width is cut. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(/\s+/)) {
    const candidate = current ? `${current} ${word}` : word;
    if (candidate.length <= width) {
      current = candidate;
      continue;
    }
    if (current) lines.push(current);
    current = word;
    while (current.length > width) {
      lines.push(current.slice(0, width));
      current = current.slice(width);
    }
  }
  if (current) lines.push(current);
  return lines.length > 0 ? lines : [''];
}

/** Exponent notation for deviations; "0" for exact zeros, "NaN" for errors. */
function formatNumber(value: number): string {
  if (value === 0) return '0';
  if (!Number.isFinite(value)) return String(value);
  return value.toExponential(1);
}
