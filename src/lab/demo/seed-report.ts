/**
 * The multi-seed part of the demo's report: SFT and oracle win rates, the design targets, the
 * paper's six claims, every run's mean and interval over seeds, and the over-optimisation figure
 * (Gao et al. 2023) with its fitted coefficients. HTML sections for report.html, plus the figure's
 * vega-lite spec (rendered by src/report/figures.ts).
 */
import type { TopLevelSpec } from 'vega-lite';
import { gaoCurve } from '../../report/overoptimisation-fit.ts';
import type { Interval } from '../../report/stats.ts';
import type { DemoSummary, SeedClaim } from './seed-summary.ts';

const esc = (t: string) => t.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const f3 = (x: number | null | undefined) =>
  x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(3);

/** "mean [low, high]" (mean alone with one seed). */
export function formatInterval(i: Interval | null): string {
  if (!i) return '—';
  return i.low === null ? f3(i.mean) : `${f3(i.mean)} [${f3(i.low)}, ${f3(i.high)}]`;
}

/** The figure: gold and proxy gain against √KL, measured points and the fitted curves, per method. */
export function overoptimisationSpec(s: DemoSummary): TopLevelSpec | null {
  const curves = s.overoptimisation.curves;
  if (curves.length === 0) return null;
  const rows: Record<string, string | number>[] = [];
  for (const c of curves)
    for (const p of c.points) {
      rows.push({
        d: p.d,
        value: p.gold,
        quantity: 'gold win-rate gain',
        method: c.method,
        layer: 'measured',
      });
      rows.push({
        d: p.d,
        value: p.proxy,
        quantity: 'proxy reward gain',
        method: c.method,
        layer: 'measured',
      });
    }
  for (const fit of s.overoptimisation.fits) {
    const dMax = Math.max(
      ...curves.filter((c) => c.method === fit.method).flatMap((c) => c.points.map((p) => p.d)),
    );
    for (const [quantity, g] of [
      ['gold win-rate gain', fit.gold],
      ['proxy reward gain', fit.proxy],
    ] as const) {
      if (!g) continue;
      for (let i = 0; i <= 40; i++) {
        const d = (dMax * i) / 40;
        rows.push({ d, value: gaoCurve(g, d), quantity, method: fit.method, layer: 'fit' });
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
          },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
    config: { font: 'DejaVu Sans', background: 'white', view: { stroke: '#ccc' } },
  } as TopLevelSpec;
}

function claimRows(claims: readonly SeedClaim[]): string {
  const rows = claims.map((c) => {
    const cls = c.verdict.replace(/ /g, '-');
    const counts = c.seedsTested === undefined ? '—' : `${c.seedsHolding} / ${c.seedsTested}`;
    const iv = Object.entries(c.intervals).map(([k, i]) => `${esc(k)}: ${formatInterval(i)}`);
    if (c.correlation)
      iv.push(
        `r = ${f3(c.correlation.r)} [${f3(c.correlation.low)}, ${f3(c.correlation.high)}] (n = ${c.correlation.n})`,
      );
    const seeds = (c.perSeed ?? [])
      .map((p) => `seed ${p.seed}: ${p.holds ? '✓' : '✗'} ${esc(p.note)}`)
      .join('<br>');
    return (
      `<tr><td>${esc(c.statement)}<br><small>${esc(c.rule)}</small></td><td class="${cls}">${c.verdict}</td>` +
      `<td class="num">${counts}</td><td>${iv.join('<br>') || '—'}</td><td><small>${seeds || esc(c.summary)}</small></td></tr>`
    );
  });
  return `<table><thead><tr><th>statement and rule</th><th>verdict</th><th>seeds holding</th><th>${''}intervals (95 %)</th><th>per seed</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** The report sections (HTML), the figure inlined by the caller. */
export function seedReportSections(s: DemoSummary, figureHtml: string | null): string[] {
  const head = `<h2>Over ${s.seeds.length} seed(s): ${s.seeds.join(', ')}</h2>
<p>SFT gold win rate ${formatInterval(s.sft.winRate)} · oracle (best gold summary per post) ${formatInterval(s.oracle.winRate)}.
${esc(s.rule)} Every number below is read from the run folders; <code>summary.json</code> holds them all.</p>`;
  const targets = `<h3>Design targets (what the lab must be able to show)</h3>${claimRows(s.targets)}`;
  const claims = `<h3>The paper's claims</h3>${claimRows(s.claims)}`;
  const runRows = s.runs
    .filter((r) => r.kind !== 'rm')
    .map((r) => {
      const verdicts = Object.entries(r.verdicts)
        .map(([k, n]) => `${k} ×${n}`)
        .join(', ');
      const perSeed = r.perSeed
        .map(
          (p) => `${p.seed}: ${f3(p.peakWinRate)}→${f3(p.finalWinRate)}${p.verdict ? ` ${p.verdict}` : ''}`,
        )
        .join('<br>');
      return (
        `<tr><td>${esc(r.name)}</td><td>${esc(r.kind)}</td><td class="num">${formatInterval(r.finalWinRate)}</td>` +
        `<td class="num">${formatInterval(r.peakWinRate)}</td><td class="num">${formatInterval(r.finalProxyReward)}</td>` +
        `<td class="num">${formatInterval(r.finalKl)}</td><td>${esc(verdicts) || '—'}</td><td><small>${perSeed}</small></td></tr>`
      );
    });
  const runs = `<h3>Runs: mean [95 % t-interval] over seeds</h3><table><thead><tr><th>run</th><th>kind</th><th>final win rate</th><th>peak win rate</th><th>final proxy reward</th><th>final KL</th><th>verdicts</th><th>per seed: peak→final</th></tr></thead><tbody>${runRows.join('')}</tbody></table>`;
  const fits = s.overoptimisation.fits.map(
    (f) =>
      `<tr><td>${esc(f.method)}</td><td>${f.form === 'rl' ? 'd(α − β log d)' : 'd(α − β d)'}</td>` +
      `<td class="num">${f3(f.gold?.alpha)}</td><td class="num">${f3(f.gold?.beta)}</td><td class="num">${f3(f.gold?.r2)}</td>` +
      `<td class="num">${f3(f.proxy?.alpha)}</td><td class="num">${f3(f.proxy?.beta)}</td><td class="num">${f3(f.proxy?.r2)}</td>` +
      `<td class="num">${f.gold?.n ?? '—'}</td></tr>`,
  );
  const gao = `<h3>Over-optimisation curve (Gao, Schulman &amp; Hilton 2023)</h3>
<p>Gold win-rate gain and proxy-reward gain over the SFT policy against d = √KL(π‖π_SFT): online runs at each
gold evaluation (KL: mean of the rollouts' estimate since the previous evaluation), best-of-n from the SFT policy
under the proxy with KL = log n − (n−1)/n. Least-squares fits pooled over seeds.</p>
${figureHtml ?? '<p class="note">No curve to draw.</p>'}
<table><thead><tr><th>method</th><th>form</th><th>gold α</th><th>gold β</th><th>gold R²</th><th>proxy α</th><th>proxy β</th><th>proxy R²</th><th>points</th></tr></thead><tbody>${fits.join('')}</tbody></table>`;
  return [head, targets, claims, runs, gao];
}
