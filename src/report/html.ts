/**
 * The run-folder report: one self-contained `report.html` (inline SVG figures, inline CSS, no external
 * URL) plus `figures/*.svg|png` next to it. Everything shown is computed from the run folders.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { type RunRecord, readRuns } from '../runs/run-reader.ts';
import { type ClaimCheck, type ClaimOptions, DEFAULT_CLAIM_OPTIONS, paperClaims } from './claims.ts';
import { type FigureSet, renderFigures, writeFigures } from './figures.ts';
import { escapeHtml } from './format.ts';
import {
  DEFAULT_THRESHOLDS,
  type RunSummary,
  summarizeRun,
  type Verdict,
  type VerdictThresholds,
  verdictOf,
} from './verdict.ts';

/** Where the report went and what it concluded. */
export interface ReportResult {
  reportFile: string;
  figureFiles: string[];
  runs: number;
  claims: ClaimCheck[];
}

/** One row of the runs table. */
interface RunRow {
  run: RunRecord;
  summary: RunSummary;
  verdict: Verdict;
}

/** Everything the HTML shows. */
interface ReportModel {
  runDir: string;
  rows: RunRow[];
  claims: ClaimCheck[];
  figures: FigureSet;
  thresholds: VerdictThresholds;
  supportFraction: number;
  /** Extra sections (HTML) from the caller, shown after the conclusion (the demo's multi-seed summary). */
  sections: string[];
}

/**
 * Reads every run under `runDir`, writes `report.html` (default `runDir/report.html`) and its
 * `figures/` folder next to it, and returns their paths with the claims check.
 */
export async function writeReport(
  runDir: string,
  outFile = join(runDir, 'report.html'),
  options: Partial<ClaimOptions> & { sections?: string[] } = {},
): Promise<ReportResult> {
  const o = { ...DEFAULT_CLAIM_OPTIONS, ...options };
  const thresholds = { ...DEFAULT_THRESHOLDS, ...o.verdict };
  const runs = await readRuns(runDir);
  const rows = runs.map((run) => ({ run, summary: summarizeRun(run), verdict: verdictOf(run, thresholds) }));
  const claims = paperClaims(runs, { verdict: thresholds, supportFraction: o.supportFraction });
  const figures = await renderFigures(runs);
  const figureFiles = await writeFigures(figures, join(dirname(outFile), 'figures'));
  const model = {
    runDir,
    rows,
    claims,
    figures,
    thresholds,
    supportFraction: o.supportFraction,
    sections: o.sections ?? [],
  };
  await mkdir(dirname(outFile), { recursive: true });
  await writeFile(outFile, renderReportHtml(model));
  return { reportFile: outFile, figureFiles, runs: runs.length, claims };
}

export { escapeHtml } from './format.ts';

/**
 * Prepares a standalone SVG for inlining: drops the (unneeded) namespace declarations and prefixes
 * every id and `#id` reference, so that clip paths of different figures cannot collide.
 */
export function inlineSvg(svg: string, idPrefix: string): string {
  return svg
    .replace(/\s+xmlns(:xlink)?="[^"]*"/g, '')
    .replace(/\bid="([^"]+)"/g, `id="${idPrefix}-$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#${idPrefix}-$1)`)
    .replace(/href="#([^"]+)"/g, `href="#${idPrefix}-$1"`);
}

function renderReportHtml(m: ReportModel): string {
  const body = [
    `<h1>Failure Modes of Maximum Entropy RLHF — run report</h1>`,
    `<p class="meta">Run folder: <code>${escapeHtml(m.runDir)}</code> · ${m.rows.length} run(s) · ` +
      `generated ${escapeHtml(new Date().toISOString())}</p>`,
    // A caller's own sections (the demo's per-seed claims) replace the pooled bottom line, and the
    // generic two-claim check is then labelled as what it is: every run folder pooled, no seeds.
    ...(m.sections.length ? m.sections : [conclusionSection(m)]),
    claimsSection(m.claims, m.sections.length > 0),
    figuresSection(m.figures),
    runsSection(m.rows, m.runDir),
    thresholdsSection(m.thresholds, m.supportFraction),
  ].join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>maxent-rlhf report</title>
<style>${STYLE}</style></head>
<body>
${body}
</body></html>
`;
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1200px;padding:0 1rem;color:#222}
table{border-collapse:collapse;font-size:.85rem}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}.meta{color:#666}
.supported{color:#1a7f37}.not-supported{color:#b42318}.not-tested{color:#8a6d00}
.verdict-over-optimised{color:#b42318}.verdict-collapsed{color:#b42318}.verdict-stable{color:#1a7f37}.verdict-insufficient-data{color:#8a6d00}
figure{margin:1.5rem 0}figure svg{max-width:100%;height:auto}.note{background:#fff8e1;padding:.5rem}`;

/** The plain-language bottom line: does this folder show the paper's effect? */
function conclusionSection(m: ReportModel): string {
  if (m.rows.length === 0) {
    return `<p class="note"><strong>No run folders (no run.json) were found here: nothing to report.</strong></p>`;
  }
  const failing = m.claims.filter((c) => c.status !== 'supported');
  if (failing.length === 0) {
    const text =
      "These runs show the paper's effect: both claims below are supported by the measured verdicts.";
    return `<p><strong>${escapeHtml(text)}</strong></p>`;
  }
  const items = failing.map((c) => `<li>“${escapeHtml(c.statement)}”: ${c.status}.</li>`).join('');
  const text = "These runs do not (fully) show the paper's effect.";
  return `<p class="note"><strong>${escapeHtml(text)}</strong></p><ul>${items}</ul>`;
}

function claimsSection(claims: ClaimCheck[], pooled = false): string {
  const items = claims.map((c) => {
    const cls = c.status.replace(/ /g, '-');
    return `<li><strong>${escapeHtml(c.statement)}</strong> — <span class="${cls}">${c.status}</span><br>${escapeHtml(c.summary)}</li>`;
  });
  const title = pooled
    ? 'The generic check of `maxent-rlhf report`: every run folder pooled, without seeds'
    : 'Paper claims, checked against the measured verdicts';
  return `<h2>${escapeHtml(title)}</h2><ul>${items.join('')}</ul>`;
}

function figuresSection(figures: FigureSet): string {
  const drawn = figures.drawn.map(
    (f) =>
      `<figure id="${f.id}"><h3>${escapeHtml(f.title)}</h3>${inlineSvg(f.svg, f.id)}` +
      `<figcaption>${escapeHtml(f.caption)} (<a href="figures/${f.id}.svg">SVG</a>, ` +
      `<a href="figures/${f.id}.png">PNG</a>)</figcaption></figure>`,
  );
  const omitted = figures.omitted.map(
    (f) => `<p class="note"><strong>${escapeHtml(f.title)}</strong>: ${escapeHtml(f.note)}</p>`,
  );
  return `<h2>Figures</h2>${[...drawn, ...omitted].join('\n')}`;
}

const RUN_COLUMNS = [
  'name',
  'path',
  'kind',
  'status',
  'labels',
  'final win rate',
  'peak win rate',
  'final proxy reward',
  'final KL',
  'final entropy',
  'max KL(π_t‖π_t−1)',
  'verdict',
];

function runsSection(rows: RunRow[], runDir: string): string {
  const head = `<tr>${RUN_COLUMNS.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr>`;
  const body = rows.map((row) => runRow(row, runDir)).join('\n');
  return `<h2>Runs</h2><table><thead>${head}</thead><tbody>${body}</tbody></table>`;
}

function runRow({ run, summary: s, verdict: v }: RunRow, runDir: string): string {
  const labels = Object.entries(run.labels)
    .map(([k, val]) => `${k}=${typeof val === 'object' ? JSON.stringify(val) : String(val)}`)
    .join(', ');
  const text = [run.name, relative(runDir, run.dir) || '.', run.kind, run.status, labels].map(
    (t) => `<td>${escapeHtml(t)}</td>`,
  );
  const numbers = [
    s.finalWinRate,
    s.peakWinRate,
    s.finalProxyReward,
    s.finalKl,
    s.finalEntropy,
    s.maxKlPrev,
  ].map((x) => `<td class="num">${x === null ? '—' : x.toFixed(3)}</td>`);
  const cls = `verdict-${v.kind.replace(/ /g, '-')}`;
  // Over-optimisation verdicts concern online runs; offline runs show their gold numbers only.
  const verdict =
    run.kind === 'rl'
      ? `<td class="${cls}" title="${escapeHtml(v.reason)}">${v.kind}<br><small>${escapeHtml(v.reason)}</small></td>`
      : '<td>— (offline run)</td>';
  return `<tr>${[...text, ...numbers, verdict].join('')}</tr>`;
}

function thresholdsSection(t: VerdictThresholds, supportFraction: number): string {
  const floor = t.floor === null ? `first evaluation's win rate − ${t.floorMargin}` : `${t.floor} (fixed)`;
  const items = [
    `A run is <em>over-optimised</em> when its proxy reward (eval/proxy_reward, else objective/scores) rose ` +
      `(mean of its last ${100 * t.proxyEdgeFraction}% of points above the mean of its first ` +
      `${100 * t.proxyEdgeFraction}% by more than ${t.minProxyRise}) while its gold win rate (eval/win_rate) ` +
      `fell at least ${t.dropThreshold} (absolute) from its peak, or ended below the floor.`,
    `Floor: ${escapeHtml(floor)}.`,
    `<em>Insufficient data</em>: fewer than ${t.minEvaluations} gold evaluations, or no proxy reward logged.`,
    `<em>Collapsed</em>: the gold win rate fell the same way but the proxy reward did not rise (the run ` +
      `degenerated rather than hacked the reward model, e.g. an entropy bonus swamping the reward).`,
    `<em>Stable</em>: every other run.`,
    `A claim is supported when more than ${100 * supportFraction}% of the judged online runs ` +
      `(kind rl, by labels.regularizer) behave as claimed; not tested when none could be judged.`,
  ];
  return `<h2>Thresholds used</h2><ul>${items.map((i) => `<li>${i}</li>`).join('')}</ul>`;
}
