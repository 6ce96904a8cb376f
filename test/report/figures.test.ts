import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { entropyBonusSeries, planFigures } from '../../src/report/figure-specs.ts';
import { type FigureSet, renderFigures, writeFigures } from '../../src/report/figures.ts';
import type { RunRecord } from '../../src/runs/run-reader.ts';
import { dpoRun, klRun, maxEntRun, STABLE_WIN_RATES, type SyntheticRun, tempRoot } from './synthetic-runs.ts';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function record(run: SyntheticRun): RunRecord {
  return {
    dir: `/runs/${run.name}`,
    name: run.name,
    kind: run.kind,
    labels: run.labels,
    status: 'done',
    metrics: run.lines,
  };
}

/** Number of drawn line series (vega renders one `line mark` path per series). */
function lineSeriesCount(svg: string): number {
  return svg.match(/aria-roledescription="line mark"/g)?.length ?? 0;
}

/** Texts of the legend labels, in document order. */
function legendLabels(svg: string): string[] {
  const groups = [...svg.matchAll(/<g class="mark-text role-legend-label"[^>]*>(.*?)<\/g>/gs)];
  return groups.flatMap((g) =>
    [...(g[1] ?? '').matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((t) => t[1] ?? ''),
  );
}

/** Run name → glyph of each text mark (Fig 5's ✓ and ×), read from the marks' aria labels. */
function markersByRun(svg: string): Record<string, string> {
  const marks = [
    ...svg.matchAll(/<text aria-label="([^"]*)"[^>]*aria-roledescription="text mark"[^>]*>([^<]*)<\/text>/g),
  ];
  // The marker's run is its folder (/runs/<name>): runs of several seeds share a name.
  return Object.fromEntries(marks.map((m) => [m[1]?.match(/run: \/runs\/([^;]+)/)?.[1] ?? '?', m[2] ?? '']));
}

const RUNS = [
  record(maxEntRun('me-a0.05-lr1e-6', 0.05, 1e-6)),
  record(maxEntRun('me-a0.1-lr1e-6', 0.1, 1e-6, STABLE_WIN_RATES)),
  record(maxEntRun('me-a0.1-lr1e-7', 0.1, 1e-7)),
  record(klRun('kl-b0.05-lr1e-6', 0.05, 1e-6)),
  record(dpoRun('dpo-b0.1', 0.1)),
  record(dpoRun('dpo-b0.5', 0.5)),
];

describe('renderFigures', () => {
  let figures: FigureSet;
  const svgOf = (id: string) => figures.drawn.find((f) => f.id === id)?.svg ?? '';
  beforeAll(async () => {
    figures = await renderFigures(RUNS);
  });

  it('draws all four figures when every kind of run is present', () => {
    expect(figures.drawn.map((f) => f.id)).toEqual(['fig1-2', 'fig3', 'fig4', 'fig5']);
    expect(figures.omitted).toEqual([]);
  });

  it('Fig 1/2: reward and bonus line per MaxEnt run, α legend with final win rates per lr panel', () => {
    const svg = svgOf('fig1-2');
    expect(lineSeriesCount(svg)).toBe(3 * 2);
    // lr 1e-6 panel (left): α=0.05 ends at 30%, α=0.1 at 63%; lr 1e-7 panel: α=0.1 ends at 30%.
    expect(legendLabels(svg)).toEqual(['α=0.05 (win 30%)', 'α=0.1 (win 63%)', 'α=0.1 (win 30%)']);
    expect(svg.indexOf('lr = 1e-6')).toBeLessThan(svg.indexOf('lr = 1e-7'));
  });

  it('Fig 3: both KL metrics for each of the 4 online runs, coloured by method, styled by rate', () => {
    const svg = svgOf('fig3');
    expect(lineSeriesCount(svg)).toBe(4 * 2);
    // Methods (the KL run is PPO; MaxEnt at α 0.05 and 0.1), then the two rates, highest (solid)
    // first; one run per name: no width legend.
    expect(legendLabels(svg)).toEqual([
      'KL-constrained (PPO)',
      'MaxEnt α=0.05',
      'MaxEnt α=0.1',
      '1e-6',
      '1e-7',
    ]);
  });

  it('Fig 4: one ref/logratio line per DPO run', () => {
    const svg = svgOf('fig4');
    expect(lineSeriesCount(svg)).toBe(2);
    expect(legendLabels(svg)).toEqual(['dpo-b0.1', 'dpo-b0.5']);
  });

  it('Fig 5: one KL line per online run with ✓ for the stable ones and × for the over-optimised', () => {
    const svg = svgOf('fig5');
    expect(lineSeriesCount(svg)).toBe(4);
    expect(markersByRun(svg)).toEqual({
      'me-a0.05-lr1e-6': '×',
      'me-a0.1-lr1e-6': '✓',
      'me-a0.1-lr1e-7': '×',
      'kl-b0.05-lr1e-6': '✓',
    });
  });

  it('rasterises every figure to PNG and writes both files', async () => {
    const dir = await tempRoot();
    const written = await writeFigures(figures, dir);
    expect(written).toHaveLength(8);
    for (const figure of figures.drawn) {
      expect([...figure.png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
      expect([...(await readFile(join(dir, `${figure.id}.png`))).subarray(0, 8)]).toEqual(PNG_SIGNATURE);
      expect(await readFile(join(dir, `${figure.id}.svg`), 'utf8')).toBe(figure.svg);
    }
  });
});

describe('figures over seeds', () => {
  /** The same run names in three seed folders, as the demo writes them. */
  const seeded = [1, 2, 3].flatMap((seed) =>
    [maxEntRun('me-a0.05-lr1e-6', 0.05, 1e-6), klRun('kl-b0.05-lr1e-6', 0.05, 1e-6)].map((run) => ({
      ...record(run),
      dir: `/runs/seed-${seed}/${run.name}`,
      labels: { ...run.labels, seed },
      // Seed s shifts every KL value by s: the mean over seeds is the seed-2 curve.
      metrics: run.lines.map((l) =>
        typeof l['objective/kl'] === 'number' ? { ...l, 'objective/kl': l['objective/kl'] + seed } : l,
      ),
    })),
  );

  it('draws one thin line per seed and the mean, never one line through all seeds', () => {
    const plans = planFigures(seeded);
    const fig5 = plans.find((p) => p.id === 'fig5');
    expect(fig5 && 'spec' in fig5).toBe(true);
    const values = (fig5 as { spec: { data: { values: Array<Record<string, unknown>> } } }).spec.data.values;
    const lines = values.filter((v) => v.layer === 'line');
    // Per run name: three seed folders plus one mean.
    const ids = new Set(lines.map((v) => v.run));
    expect(ids.size).toBe(2 * (3 + 1));
    const klSeed2 = lines.filter((v) => v.run === '/runs/seed-2/kl-b0.05-lr1e-6');
    const klMean = lines.filter((v) => v.run === 'mean of kl-b0.05-lr1e-6');
    expect(klMean.map((v) => v.step)).toEqual(klSeed2.map((v) => v.step));
    for (const [i, v] of klMean.entries())
      expect(v.value as number).toBeCloseTo(klSeed2[i]!.value as number, 12);
    expect(new Set(lines.filter((v) => v.run === klMean[0]!.run).map((v) => v.width))).toEqual(
      new Set(['mean']),
    );
    // Each seed's line is a function of the step: no step appears twice in one line.
    for (const id of ids) {
      const steps = lines.filter((v) => v.run === id).map((v) => v.step);
      expect(new Set(steps).size).toBe(steps.length);
    }
  });

  it('renders the seeds and the mean with a width legend', async () => {
    const figs = await renderFigures(seeded);
    const svg = figs.drawn.find((f) => f.id === 'fig3')!.svg;
    expect(lineSeriesCount(svg)).toBe(2 * 2 * (3 + 1));
    expect(legendLabels(svg)).toEqual(expect.arrayContaining(['one seed', 'mean over seeds']));
  });
});

describe('planFigures', () => {
  it('omits figures without matching runs, with a note, instead of drawing them empty', () => {
    const plans = planFigures([record(dpoRun('dpo', 0.1))]);
    const omitted = plans.filter((p) => !('spec' in p));
    expect(omitted.map((p) => p.id)).toEqual(['fig1-2', 'fig3', 'fig5']);
    for (const p of omitted) expect('note' in p && p.note).toMatch(/omitted/);
  });

  it('makes one Fig 1/2 per model label', () => {
    const withModel = (run: SyntheticRun, model: string) =>
      record({ ...run, labels: { ...run.labels, model } });
    const plans = planFigures([
      withModel(maxEntRun('a', 0.1, 1e-6), 'pythia-1b'),
      withModel(maxEntRun('b', 0.1, 1e-7), 'pythia-2.8b'),
    ]);
    expect(plans.map((p) => p.id).filter((id) => id.startsWith('fig1-2'))).toEqual(['fig1-2-1', 'fig1-2-2']);
  });
});

describe('entropyBonusSeries', () => {
  it('prefers the logged bonus and otherwise multiplies the entropy by the coefficient', () => {
    const base = { dir: '/r', name: 'r', kind: 'rl', status: 'done' };
    const computed = entropyBonusSeries({
      ...base,
      labels: { coef: 0.1 },
      metrics: [{ step: 3, 'objective/entropy': 2 }],
    });
    expect(computed).toHaveLength(1);
    expect(computed[0]?.step).toBe(3);
    expect(computed[0]?.value).toBeCloseTo(0.2, 12);
    const logged = entropyBonusSeries({
      ...base,
      labels: { coef: 0.1 },
      metrics: [{ step: 3, 'objective/entropy': 2, 'objective/entropy_bonus': 0.5 }],
    });
    expect(logged).toEqual([{ step: 3, value: 0.5 }]);
  });
});
