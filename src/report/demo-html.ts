/**
 * The demo's multi-seed report: the sections of report.html (claims with their rules, the runs
 * across seeds, the over-optimisation fits) and the figures only a multi-seed summary can draw —
 * Gao et al.'s curve, the entropy dose–response and the offline arms' gold win rate over epochs,
 * each with one thin line per seed and the mean. `writeDemoReport` writes report.html, figures/ and
 * summary.json: the demo command only orchestrates.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import type { DemoSummary, SeedClaim } from './claims.ts';
import { renderSvg, svgToPng } from './figures.ts';
import { escapeHtml as esc, fmt, fmtInterval } from './format.ts';
import { inlineSvg, writeReport } from './html.ts';
import { gaoCurve } from './overoptimisation-fit.ts';
import type { SeedRuns } from './seeds.ts';
import { metricSeries } from './series.ts';

const CONFIG = { font: 'DejaVu Sans', background: 'white', view: { stroke: '#ccc' } };

/** The figure: gold and proxy gain against √KL, measured points, and each fit over its data's range. */
export function overoptimisationSpec(s: DemoSummary): TopLevelSpec | null {
  const curves = s.overoptimisation.curves;
  if (curves.length === 0) return null;
  const rows: Record<string, string | number>[] = [];
  const quantities = [
    ['gold win-rate gain', 'gold'],
    ['proxy reward gain', 'proxy'],
  ] as const;
  for (const c of curves)
    for (const p of c.points)
      for (const [quantity, key] of quantities)
        rows.push({ d: p.d, value: p[key], quantity, method: c.method, layer: 'measured' });
  for (const fit of s.overoptimisation.fits) {
    for (const [quantity, key] of quantities) {
      const g = fit[key];
      if (!g || !(fit.dMax > fit.dMin)) continue;
      const flag = key === 'gold' ? fit.goldFlag : fit.proxyFlag;
      // Drawn only over the d its data covered; a poor or sign-violating fit is dashed and named.
      for (let i = 0; i <= 40; i++) {
        const d = fit.dMin + ((fit.dMax - fit.dMin) * i) / 40;
        rows.push({
          d,
          value: gaoCurve(g, d),
          quantity,
          method: fit.method,
          layer: 'fit',
          fit: flag === 'ok' ? 'fit' : `fit (${flag})`,
        });
      }
    }
  }
  const color = { field: 'method', type: 'nominal', title: 'method', legend: { labelLimit: 320 } } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    data: { values: rows },
    facet: { column: { field: 'quantity', type: 'nominal', title: null } },
    spec: {
      width: 300,
      height: 220,
      layer: [
        {
          transform: [{ filter: "datum.layer === 'measured'" }],
          mark: { type: 'point', size: 18, opacity: 0.6 },
          encoding: {
            x: { field: 'd', type: 'quantitative', title: 'd = √KL(π‖π_SFT) (nats^½)' },
            y: { field: 'value', type: 'quantitative', title: 'gain over the SFT policy' },
            color,
          },
        },
        {
          transform: [{ filter: "datum.layer === 'fit'" }],
          mark: { type: 'line', strokeWidth: 1.5 },
          encoding: {
            x: { field: 'd', type: 'quantitative' },
            y: { field: 'value', type: 'quantitative' },
            color,
            strokeDash: {
              field: 'fit',
              type: 'nominal',
              title: 'fit',
              legend: { labelLimit: 320 },
              scale: {
                domain: ['fit', 'fit (poor fit)', 'fit (sign-violating)'],
                range: [
                  [1, 0],
                  [4, 3],
                  [1, 3],
                ],
              },
            },
            detail: { field: 'method' },
          },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
    config: CONFIG,
  } as TopLevelSpec;
}

/** Per-seed thin lines plus their mean (thick), from (seed, x, y) points of one group. */
function seedAndMeanRows(
  points: { seed: number; x: number; y: number; group: string }[],
): Record<string, string | number>[] {
  const rows: Record<string, string | number>[] = points.map((p) => ({
    ...p,
    line: `seed ${p.seed}`,
    layer: 'seed',
  }));
  const byKey = new Map<string, number[]>();
  for (const p of points) {
    const k = `${p.group}\u0000${p.x}`;
    byKey.set(k, [...(byKey.get(k) ?? []), p.y]);
  }
  for (const [k, ys] of byKey) {
    const [group, x] = k.split('\u0000') as [string, string];
    rows.push({
      group,
      x: Number(x),
      y: ys.reduce((a, b) => a + b, 0) / ys.length,
      line: 'mean',
      layer: 'mean',
      seed: -1,
    });
  }
  return rows;
}

function seedMeanLayers(xTitle: string, yTitle: string, colorTitle: string, xScale?: { type: string }) {
  const x = {
    field: 'x',
    type: 'quantitative',
    title: xTitle,
    ...(xScale ? { scale: xScale } : {}),
  } as const;
  const y = { field: 'y', type: 'quantitative', title: yTitle } as const;
  const color = { field: 'group', type: 'nominal', title: colorTitle, legend: { labelLimit: 320 } } as const;
  return [
    {
      transform: [{ filter: "datum.layer === 'seed'" }],
      mark: { type: 'line', strokeWidth: 0.8, opacity: 0.45, point: { size: 10 } },
      encoding: { x, y, color, detail: { field: 'line' } },
    },
    {
      transform: [{ filter: "datum.layer === 'mean'" }],
      mark: { type: 'line', strokeWidth: 2.5 },
      encoding: { x, y, color },
    },
  ];
}

/** Claim 5's dose–response: gold drop and final KL(π‖π_ref) against α, one thin line per seed and the mean. */
export function doseSpec(seeds: readonly SeedRuns[]): TopLevelSpec | null {
  const points: { seed: number; x: number; y: number; group: string }[] = [];
  for (const s of seeds)
    for (const r of s.runs.filter((r) => r.kind === 'rl' && r.labels.arm === 'entropy-dose')) {
      const win = metricSeries(r.metrics, 'eval/win_rate');
      const kl = metricSeries(r.metrics, 'objective/kl');
      const alpha = typeof r.labels.alpha === 'number' ? r.labels.alpha : 0;
      if (win.length) {
        const peak = Math.max(...win.map((p) => p.value));
        points.push({
          seed: s.seed,
          x: alpha,
          y: peak - win.at(-1)!.value,
          group: 'gold drop (peak − final)',
        });
      }
      if (kl.length) points.push({ seed: s.seed, x: alpha, y: kl.at(-1)!.value, group: 'final KL(π‖π_ref)' });
    }
  if (points.length === 0) return null;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    data: { values: seedAndMeanRows(points) },
    facet: { column: { field: 'group', type: 'nominal', title: null } },
    spec: {
      width: 280,
      height: 200,
      layer: seedMeanLayers('entropy coefficient α (no KL, higher rate)', 'value', 'quantity'),
    },
    resolve: { scale: { y: 'independent' } },
    config: CONFIG,
  } as TopLevelSpec;
}

/** Claim 4: gold win rate of each preference arm (offline and on-policy SimPO) at each half-epoch evaluation, thin per seed, thick mean. */
export function offlineStabilitySpec(seeds: readonly SeedRuns[]): TopLevelSpec | null {
  const points: { seed: number; x: number; y: number; group: string }[] = [];
  for (const s of seeds)
    for (const r of s.runs.filter((r) => r.kind === 'po')) {
      const epochSteps = typeof r.labels.epochSteps === 'number' ? r.labels.epochSteps : null;
      for (const p of metricSeries(r.metrics, 'eval/win_rate'))
        points.push({
          seed: s.seed,
          x: epochSteps ? p.step / epochSteps : p.step,
          y: p.value,
          group: r.name,
        });
    }
  if (points.length === 0) return null;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    data: { values: seedAndMeanRows(points) },
    width: 460,
    height: 240,
    layer: seedMeanLayers('epochs over the training pairs', 'gold win rate', 'arm'),
    config: CONFIG,
  } as TopLevelSpec;
}

function claimRows(claims: readonly SeedClaim[]): string {
  const rows = claims.map((c) => {
    const cls = c.verdict.replace(/ /g, '-');
    const counts = c.seedsTested === undefined ? '—' : `${c.seedsHolding} / ${c.seedsTested}`;
    const iv = Object.entries(c.intervals).map(([k, i]) => `${esc(k)}: ${fmtInterval(i)}`);
    if (c.trend)
      iv.push(
        `mean within-seed ρ ${fmt(c.trend.meanRho, 2)}, permutation p = ${fmt(c.trend.p, 4)} (${c.trend.blocks} seeds)`,
      );
    const seeds = (c.perSeed ?? [])
      .map((p) => `seed ${p.seed}: ${p.holds ? '✓' : '✗'} ${esc(p.note)}`)
      .join('<br>');
    return (
      `<tr><td>${esc(c.statement)}<br><small>${esc(c.rule)}</small></td><td class="${cls}">${c.verdict}</td>` +
      `<td class="num">${counts}</td><td>${iv.join('<br>') || '—'}</td><td><small>${seeds || esc(c.summary)}</small></td></tr>`
    );
  });
  return `<table><thead><tr><th>statement and rule</th><th>verdict</th><th>seeds holding</th><th>statistics (95 %)</th><th>per seed</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** A drawn figure, inlined, with links to its files. */
export interface DemoFigure {
  id: string;
  title: string;
  caption: string;
  svg: string;
}

function figureHtml(f: DemoFigure | undefined): string {
  if (!f) return '<p class="note">No runs to draw.</p>';
  return (
    `<figure id="${f.id}"><h4>${esc(f.title)}</h4>${inlineSvg(f.svg, f.id)}<figcaption>${esc(f.caption)} ` +
    `(<a href="figures/${f.id}.svg">SVG</a>, <a href="figures/${f.id}.png">PNG</a>)</figcaption></figure>`
  );
}

/** The report sections (HTML). */
export function demoReportSections(s: DemoSummary, figures: readonly DemoFigure[]): string[] {
  const fig = (id: string) => figureHtml(figures.find((f) => f.id === id));
  const head = `<h2>Over ${s.seeds.length} seed(s): ${s.seeds.join(', ')}</h2>
<p>SFT gold win rate ${fmtInterval(s.sft.winRate)} · oracle (best gold summary per post) ${fmtInterval(s.oracle.winRate)}.
${esc(s.rule)} Every number below is read from the run folders; <code>summary.json</code> holds them all.</p>
<p><strong>Trajectory rule of the online runs</strong> (fixed before the results were seen): ${esc(s.trajectoryRule)}.</p>`;
  const missed = s.targets.filter((t) => t.verdict === 'not supported');
  const missedNote = missed.length
    ? `<p class="note">Targets the lab misses, as measured (no knob was tuned to meet them): ${missed
        .map((t) => `${esc(t.statement)} — holds in ${t.seedsHolding} of ${t.seedsTested} seed(s)`)
        .join('; ')}.</p>`
    : '';
  const targets = `<h3>Design targets (what the lab must be able to show)</h3>${claimRows(s.targets)}${missedNote}`;
  const claims = `<h3>The paper's claims</h3>${claimRows(s.claims)}
<h4>Claim 5: the entropy dose</h4>${fig('dose')}
<h4>Claim 4: the offline arms and on-policy SimPO over epochs</h4>${fig('offline-stability')}`;
  const runRows = s.runs
    .filter((r) => r.kind !== 'rm')
    .map((r) => {
      const verdicts = Object.entries(r.verdicts)
        .map(([k, n]) => `${k} ×${n}`)
        .join(', ');
      const perSeed = r.perSeed
        .map(
          (p) => `${p.seed}: ${fmt(p.peakWinRate)}→${fmt(p.finalWinRate)}${p.verdict ? ` ${p.verdict}` : ''}`,
        )
        .join('<br>');
      return (
        `<tr><td>${esc(r.name)}</td><td>${esc(r.kind)}</td><td class="num">${fmt(r.summedLr, 4)}</td>` +
        `<td class="num">${fmtInterval(r.finalWinRate)}</td><td class="num">${fmtInterval(r.peakWinRate)}</td>` +
        `<td class="num">${fmtInterval(r.goldDrop)}</td><td class="num">${fmtInterval(r.finalProxyReward)}</td>` +
        `<td class="num">${fmtInterval(r.finalKl)}</td><td>${esc(verdicts) || '—'}</td><td><small>${perSeed}</small></td></tr>`
      );
    });
  const runs = `<h3>Runs: mean [95 % interval] over seeds</h3>
<p>Win rates: logit-transformed Student-t interval over seeds (stays in [0, 1]); other columns: Student-t. Summed lr: Σ of the learning rate over the run's steps (the update budget).</p>
<table><thead><tr><th>run</th><th>kind</th><th>summed lr</th><th>final win rate</th><th>peak win rate</th><th>peak − final</th><th>final proxy reward</th><th>final KL</th><th>trajectory verdicts</th><th>per seed: peak→final</th></tr></thead><tbody>${runRows.join('')}</tbody></table>`;
  const fits = s.overoptimisation.fits.map(
    (f) =>
      `<tr><td>${esc(f.method)}</td><td>${f.form === 'rl' ? 'd(α − β log d)' : 'd(α − β d)'}</td>` +
      `<td class="num">${fmt(f.gold?.alpha)}</td><td class="num">${fmt(f.gold?.beta)}</td><td class="num">${fmt(f.gold?.r2)}</td><td>${f.goldFlag}</td>` +
      `<td class="num">${fmt(f.proxy?.alpha)}</td><td class="num">${fmt(f.proxy?.beta)}</td><td class="num">${fmt(f.proxy?.r2)}</td><td>${f.proxyFlag}</td>` +
      `<td class="num">${fmt(f.dMin, 2)}–${fmt(f.dMax, 2)}</td><td class="num">${f.gold?.n ?? '—'}</td></tr>`,
  );
  const gao = `<h3>Over-optimisation curve (Gao, Schulman &amp; Hilton 2023)</h3>
<p>Gold win-rate gain and proxy-reward gain over the SFT policy against d = √KL(π‖π_SFT): online runs at each
gold evaluation (KL: mean of the rollouts' estimate since the previous evaluation), best-of-n from the SFT policy
under the proxy with KL = log n − (n−1)/n. Least-squares fits pooled over seeds, drawn only over the d their data
covers; a fit with R² &lt; 0.5 is marked poor, one with α ≤ 0 or β &lt; 0 (no rise then fall) sign-violating, and both are dashed.</p>
${fig('overoptimisation')}
<table><thead><tr><th>method</th><th>form</th><th>gold α</th><th>gold β</th><th>gold R²</th><th>gold fit</th><th>proxy α</th><th>proxy β</th><th>proxy R²</th><th>proxy fit</th><th>d range</th><th>points</th></tr></thead><tbody>${fits.join('')}</tbody></table>`;
  return [head, targets, claims, runs, gao];
}

/** Console tables: runs across seeds, then targets and claims with their verdicts. */
export function formatSummary(s: DemoSummary): string {
  const rows = s.runs
    .filter((r) => r.kind !== 'rm' && r.kind !== 'sft')
    .map((r) => [
      r.name,
      fmt(r.summedLr, 4),
      fmtInterval(r.peakWinRate),
      fmtInterval(r.finalWinRate),
      fmtInterval(r.finalProxyReward),
      fmtInterval(r.finalKl),
      Object.entries(r.verdicts)
        .map(([k, n]) => `${k} ×${n}`)
        .join(', ') || '—',
    ]);
  const head = ['run', 'Σ lr', 'peak win', 'final win', 'final proxy', 'final KL(π‖π_ref)', 'verdicts'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => x.padEnd(widths[i]!)).join('  ');
  const claims = [...s.targets, ...s.claims].map((c) => {
    const counts = c.seedsTested === undefined ? '' : ` (${c.seedsHolding}/${c.seedsTested} seeds)`;
    const seeds = (c.perSeed ?? [])
      .map((p) => `\n      seed ${p.seed} ${p.holds ? '✓' : '✗'} ${p.note}`)
      .join('');
    return `  ${c.statement}: ${c.verdict}${counts}\n    ${c.summary}${seeds}`;
  });
  const fits = s.overoptimisation.fits.map(
    (f) =>
      `  ${f.method} [${f.form}]: gold α ${fmt(f.gold?.alpha)}, β ${fmt(f.gold?.beta)}, R² ${fmt(f.gold?.r2)} (${f.goldFlag}); ` +
      `proxy α ${fmt(f.proxy?.alpha)}, β ${fmt(f.proxy?.beta)}, R² ${fmt(f.proxy?.r2)} (${f.proxyFlag}); d ${fmt(f.dMin, 2)}–${fmt(f.dMax, 2)}`,
  );
  return [
    `\nseeds ${s.seeds.join(', ')}: mean [95 % interval; win rates logit-t]; SFT win rate ${fmtInterval(s.sft.winRate)}, oracle ${fmtInterval(s.oracle.winRate)}`,
    `trajectory rule: ${s.trajectoryRule}`,
    line(head),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map(line),
    '\ntargets and claims (per-seed rules: supported in a majority of seeds; dose–response rows: within-seed trend test):',
    ...claims,
    '\nover-optimisation fits (Gao et al. 2023, pooled over seeds):',
    ...fits,
  ].join('\n');
}

/**
 * Writes the demo's report into `out`: figures/ (the run figures of every seed, and the multi-seed
 * figures above), report.html with the multi-seed sections, and summary.json (`extra` first: the
 * preset and timings).
 */
export async function writeDemoReport(
  out: string,
  summary: DemoSummary,
  seeds: readonly SeedRuns[],
  extra: Record<string, unknown>,
): Promise<{ reportFile: string; summaryFile: string }> {
  const dir = join(out, 'figures');
  await mkdir(dir, { recursive: true });
  const plans: [string, string, string, TopLevelSpec | null][] = [
    [
      'overoptimisation',
      'Gold and proxy gain against √KL',
      'Points: every gold evaluation of every seed; lines: fits pooled over seeds, over their data range only.',
      overoptimisationSpec(summary),
    ],
    [
      'dose',
      'Entropy dose at the higher rate, no KL (claim 5)',
      'Thin lines: one per seed; thick: the mean over seeds.',
      doseSpec(seeds),
    ],
    [
      'offline-stability',
      'SimPO, its ablations and on-policy SimPO: gold win rate every half epoch (claim 4)',
      "Thin lines: one per seed; thick: the mean over seeds. x: epochs over the training pairs (on-policy SimPO: over as many prompts, its pairs redrawn from the policy's own samples every half epoch).",
      offlineStabilitySpec(seeds),
    ],
  ];
  const figures: DemoFigure[] = [];
  for (const [id, title, caption, spec] of plans) {
    if (!spec) continue;
    const svg = await renderSvg(spec);
    await writeFile(join(dir, `${id}.svg`), svg);
    await writeFile(join(dir, `${id}.png`), svgToPng(svg));
    figures.push({ id, title, caption, svg });
  }
  const report = await writeReport(out, join(out, 'report.html'), {
    sections: demoReportSections(summary, figures),
  });
  const summaryFile = join(out, 'summary.json');
  await writeFile(summaryFile, `${JSON.stringify({ ...extra, ...summary }, null, 2)}\n`);
  return { reportFile: report.reportFile, summaryFile };
}
