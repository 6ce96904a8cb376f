/**
 * The paper's figures as vega-lite specs built from run folders (pure: runs in, specs out).
 * A figure whose runs are absent is returned as an omission with a note, never as an empty plot.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { RunRecord } from '../runs/run-reader.ts';
import { metricSeries, type SeriesPoint } from './series.ts';
import { TRAJECTORY_RULE, trajectoryOf } from './verdict.ts';

/** A figure ready to render. */
export interface FigurePlan {
  id: string;
  title: string;
  caption: string;
  spec: TopLevelSpec;
}

/** A figure that was not drawn, and why. */
export interface FigureOmission {
  id: string;
  title: string;
  note: string;
}

/** Metric names drawn by the figures. */
export const FIGURE_METRICS = {
  rlhfReward: 'objective/rlhf_reward',
  entropyBonus: 'objective/entropy_bonus',
  entropy: 'objective/entropy',
  kl: 'objective/kl',
  klPrev: 'policy/kl_prev',
  refLogratio: 'ref/logratio',
  winRate: 'eval/win_rate',
} as const;

/** Group names of Fig 3 and Fig 5, as in the paper. */
export const GROUP_LABEL = { kl: 'KL-constrained', entropy: 'MaxEnt' } as const;
/** End-of-line markers of Fig 5. */
export const MARKER = { stable: '✓', overOptimised: '×' } as const;

const PANEL = { width: 260, height: 150 };
const CONFIG = { font: 'DejaVu Sans', background: 'white', view: { stroke: '#ccc' } };

/** Every figure of the paper this project reproduces, as plans or omissions. */
export function planFigures(runs: readonly RunRecord[]): Array<FigurePlan | FigureOmission> {
  return [...planRewardAndBonus(runs), planKlDynamics(runs), planDpoLogratio(runs), planKlEnds(runs)];
}

/** True for a plan, false for an omission. */
export function isPlan(figure: FigurePlan | FigureOmission): figure is FigurePlan {
  return 'spec' in figure;
}

// ---------- run selection and labels ----------

const isOnline = (r: RunRecord) => r.kind === 'rl';
const isMaxEnt = (r: RunRecord) => isOnline(r) && r.labels.regularizer === 'entropy';
const isKl = (r: RunRecord) => isOnline(r) && r.labels.regularizer === 'kl';
const isDpo = (r: RunRecord) => r.kind === 'po' && r.labels.algorithm === 'dpo';

/** The model label of a run (`labels.model`), or 'all runs' when the trainer wrote none. */
export function modelOf(run: RunRecord): string {
  const model = run.labels.model;
  return typeof model === 'string' || typeof model === 'number' ? String(model) : 'all runs';
}

/** Orders keys numerically when both are numbers ("1e-6", "0.05"), alphabetically otherwise. */
export function compareKeys(a: string, b: string): number {
  const [x, y] = [Number(a), Number(b)];
  if (Number.isFinite(x) && Number.isFinite(y)) return x - y;
  return a.localeCompare(b, 'en', { numeric: true });
}

/** Groups items by key, keys in ascending (or descending) order. */
function groupBy<T>(
  items: readonly T[],
  key: (item: T) => string,
  order: 'asc' | 'desc' = 'asc',
): Array<[string, T[]]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  const sign = order === 'asc' ? 1 : -1;
  return [...groups.entries()].sort(([a], [b]) => sign * compareKeys(a, b));
}

/** A learning rate as the paper writes it (1e-6), or 'n/a'. */
export function formatLr(lr: unknown): string {
  return typeof lr === 'number' ? lr.toExponential() : 'n/a';
}

/** Final gold win rate of a run, or null. */
function finalWinRate(run: RunRecord): number | null {
  return metricSeries(run.metrics, FIGURE_METRICS.winRate).at(-1)?.value ?? null;
}

/** Legend entry of an entropy coefficient: "α=0.05 (win 42%)", the mean final win rate of its runs. */
export function coefLegendLabel(coef: unknown, runs: readonly RunRecord[]): string {
  const wins = runs.map(finalWinRate).filter((w): w is number => w !== null);
  const win =
    wins.length === 0 ? 'n/a' : `${Math.round((100 * wins.reduce((s, w) => s + w, 0)) / wins.length)}%`;
  return `α=${typeof coef === 'number' ? coef : 'n/a'} (win ${win})`;
}

/** The entropy bonus curve: `objective/entropy_bonus`, else coef × `objective/entropy`. */
export function entropyBonusSeries(run: RunRecord): SeriesPoint[] {
  const logged = metricSeries(run.metrics, FIGURE_METRICS.entropyBonus);
  if (logged.length > 0) return logged;
  const coef = typeof run.labels.coef === 'number' ? run.labels.coef : null;
  if (coef === null) return [];
  return metricSeries(run.metrics, FIGURE_METRICS.entropy).map((p) => ({
    step: p.step,
    value: coef * p.value,
  }));
}

/** Table rows of one curve, tagged with the fields the specs encode. */
function rows(points: readonly SeriesPoint[], tags: Record<string, string>): Array<Record<string, unknown>> {
  return points.map((p) => ({ step: p.step, value: p.value, ...tags }));
}

const x = { field: 'step', type: 'quantitative', title: 'step' } as const;

// ---------- seeds: one thin line per run, the mean over seeds thick ----------

/**
 * The same run name in several seeds (the demo's seed-N folders) is several runs: each is its own
 * line (detail: its folder), never joined with the others. Where a name has runs in two or more
 * folders, their mean per step is drawn over them as a thick line.
 */
function seedRows(
  runs: readonly RunRecord[],
  points: (run: RunRecord) => readonly SeriesPoint[],
  tags: (run: RunRecord) => Record<string, string>,
): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  const byName = new Map<string, RunRecord[]>();
  for (const run of runs) byName.set(run.name, [...(byName.get(run.name) ?? []), run]);
  for (const [name, group] of byName) {
    const several = group.length > 1;
    const sums = new Map<number, { sum: number; n: number }>();
    for (const run of group)
      for (const p of points(run)) {
        out.push({
          step: p.step,
          value: p.value,
          ...tags(run),
          run: run.dir,
          width: several ? 'seed' : 'run',
        });
        const acc = sums.get(p.step) ?? { sum: 0, n: 0 };
        sums.set(p.step, { sum: acc.sum + p.value, n: acc.n + 1 });
      }
    if (several)
      for (const [step, { sum, n }] of [...sums.entries()].sort((a, b) => a[0] - b[0]))
        out.push({ step, value: sum / n, ...tags(group[0]!), run: `mean of ${name}`, width: 'mean' });
  }
  return out;
}

const WIDTHS = {
  seed: [0.7, 0.45, 'one seed'],
  run: [1.5, 1, 'run'],
  mean: [2.6, 1, 'mean over seeds'],
} as const;

/**
 * Line width and opacity by the rows' `width` (thin per-seed lines, a thick mean, a single run at an
 * ordinary width), with a legend only when seeds and their mean are both drawn.
 */
function widthEncodings(values: ReadonlyArray<Record<string, unknown>>) {
  const present = (Object.keys(WIDTHS) as (keyof typeof WIDTHS)[]).filter((w) =>
    values.some((v) => v.width === w),
  );
  const labels = present.map((w) => `datum.label === '${w}' ? '${WIDTHS[w][2]}'`).join(' : ');
  return {
    strokeWidth: {
      field: 'width',
      type: 'nominal',
      scale: { domain: present, range: present.map((w) => WIDTHS[w][0]) },
      legend: present.includes('mean') ? { title: 'line', labelExpr: `${labels} : datum.label` } : null,
    },
    opacity: {
      field: 'width',
      type: 'nominal',
      scale: { domain: present, range: present.map((w) => WIDTHS[w][1]) },
      legend: null,
    },
  } as const;
}

/** Line style by learning rate, the highest solid; legend only with two rates or more. */
function rateDash(values: ReadonlyArray<Record<string, unknown>>) {
  const rates = [...new Set(values.map((v) => String(v.rate)))].sort((p, q) => Number(q) - Number(p));
  return {
    field: 'rate',
    type: 'nominal',
    title: 'learning rate',
    scale: {
      domain: rates,
      range: [
        [1, 0],
        [5, 3],
        [1, 2],
        [8, 2, 2, 2],
      ].slice(0, Math.max(1, rates.length)),
    },
    legend: rates.length > 1 ? {} : null,
  } as const;
}

/** The method a line is coloured by: KL-constrained (RLOO or PPO), MaxEnt α, or no regulariser. */
export function methodLabel(run: RunRecord): string {
  if (isKl(run)) return run.labels.algorithm === 'ppo' ? `${GROUP_LABEL.kl} (PPO)` : GROUP_LABEL.kl;
  if (isMaxEnt(run))
    return `${GROUP_LABEL.entropy} α=${typeof run.labels.coef === 'number' ? run.labels.coef : 'n/a'}`;
  return 'no regulariser';
}

// ---------- Fig 1/2: RLHF reward and entropy bonus ----------

/** Fig 1/2: one figure per model, one column per learning rate (highest first, as in the paper), one line per run coloured by entropy coefficient. */
function planRewardAndBonus(runs: readonly RunRecord[]): Array<FigurePlan | FigureOmission> {
  const maxent = runs.filter(isMaxEnt);
  const title = 'Figures 1–2: RLHF reward and entropy bonus';
  if (maxent.length === 0) {
    return [{ id: 'fig1-2', title, note: 'No MaxEnt runs (kind rl, regularizer entropy): figure omitted.' }];
  }
  const byModel = groupBy(maxent, modelOf);
  return byModel.map(([model, modelRuns], index) => ({
    id: byModel.length === 1 ? 'fig1-2' : `fig1-2-${index + 1}`,
    title: `${title} (${model})`,
    caption:
      `RLHF reward (${FIGURE_METRICS.rlhfReward}, top) and entropy bonus (bottom) during training, ` +
      'one column per learning rate; legend: entropy coefficient α with its final gold win rate.',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      config: CONFIG,
      hconcat: groupBy(modelRuns, (r) => formatLr(r.labels.lr), 'desc').map(([lr, lrRuns]) =>
        lrPanel(lr, lrRuns),
      ),
      resolve: { scale: { color: 'independent' } },
    } as TopLevelSpec,
  }));
}

/** One learning-rate column of Fig 1/2: reward above bonus, coloured by α with win rates in the legend. */
function lrPanel(lr: string, runs: RunRecord[]) {
  const byCoef = groupBy(runs, (r) => String(r.labels.coef ?? 'n/a'));
  const seriesOf = new Map<RunRecord, string>();
  for (const [, coefRuns] of byCoef)
    for (const run of coefRuns) seriesOf.set(run, coefLegendLabel(run.labels.coef, coefRuns));
  const tags = (run: RunRecord) => ({ series: seriesOf.get(run) ?? 'n/a' });
  const reward = seedRows(runs, (r) => metricSeries(r.metrics, FIGURE_METRICS.rlhfReward), tags);
  const bonus = seedRows(runs, entropyBonusSeries, tags);
  const color = {
    field: 'series',
    type: 'nominal',
    title: 'α (final win rate)',
    sort: [...new Set(seriesOf.values())],
  } as const;
  const chart = (values: unknown[], yTitle: string) => ({
    ...PANEL,
    data: { values },
    mark: { type: 'line', clip: true },
    encoding: {
      x,
      y: { field: 'value', type: 'quantitative', title: yTitle },
      color,
      ...widthEncodings(values as Array<Record<string, unknown>>),
      detail: { field: 'run' },
    },
  });
  return {
    title: `lr = ${lr}`,
    vconcat: [chart(reward, 'RLHF reward'), chart(bonus, 'entropy bonus')],
  };
}

// ---------- Fig 3: KL to the reference and between consecutive policies ----------

/** Fig 3: KL(π_t‖π_ref) on top, KL(π_t‖π_{t−1}) below, KL-constrained vs MaxEnt, one column per model. */
function planKlDynamics(runs: readonly RunRecord[]): FigurePlan | FigureOmission {
  const title = 'Figure 3: KL divergence to the reference and between consecutive policies';
  const compared = runs.filter(isOnline);
  const values = [
    ...seedRows(
      compared,
      (r) => metricSeries(r.metrics, FIGURE_METRICS.kl),
      (r) => ({ ...runTags(r), metric: 'KL(π_t‖π_ref)' }),
    ),
    ...seedRows(
      compared,
      (r) => metricSeries(r.metrics, FIGURE_METRICS.klPrev),
      (r) => ({ ...runTags(r), metric: 'KL(π_t‖π_t−1)' }),
    ),
  ];
  if (values.length === 0) {
    const note = `No KL-constrained or MaxEnt run logged ${FIGURE_METRICS.kl} or ${FIGURE_METRICS.klPrev}: figure omitted.`;
    return { id: 'fig3', title, note };
  }
  return {
    id: 'fig3',
    title,
    caption:
      `Top: ${FIGURE_METRICS.kl}; bottom: ${FIGURE_METRICS.klPrev}; colour: method, line style: learning rate; ` +
      'thin lines: one per seed, thick: the mean over seeds.',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      config: CONFIG,
      data: { values },
      facet: {
        row: { field: 'metric', type: 'nominal', title: null, sort: ['KL(π_t‖π_ref)', 'KL(π_t‖π_t−1)'] },
        column: { field: 'model', type: 'nominal', title: null },
      },
      spec: {
        ...PANEL,
        mark: { type: 'line', clip: true },
        encoding: { x, y: { field: 'value', type: 'quantitative', title: 'KL' }, ...groupColor(values) },
      },
      resolve: { scale: { y: 'independent' } },
    } as TopLevelSpec,
  };
}

/** Colour by method, line style by learning rate, width by seed or mean; one line per run folder. */
function groupColor(values: ReadonlyArray<Record<string, unknown>>) {
  return {
    color: { field: 'group', type: 'nominal', title: 'method', legend: { labelLimit: 240 } },
    strokeDash: rateDash(values),
    ...widthEncodings(values),
    detail: { field: 'run' },
  } as const;
}

// ---------- Fig 4: DPO reference log-ratio ----------

/** Fig 4: batch mean of log π_ref(y_w|x)/π_ref(y_l|x) during DPO training, one line per run. */
function planDpoLogratio(runs: readonly RunRecord[]): FigurePlan | FigureOmission {
  const title = 'Figure 4: reference log-ratio during DPO training';
  const dpo = runs.filter(isDpo);
  const values = seedRows(
    dpo,
    (r) => metricSeries(r.metrics, FIGURE_METRICS.refLogratio),
    (r) => ({ name: r.name }),
  );
  if (values.length === 0) {
    const note = `No DPO run (kind po, algorithm dpo) logged ${FIGURE_METRICS.refLogratio}: figure omitted.`;
    return { id: 'fig4', title, note };
  }
  return {
    id: 'fig4',
    title,
    caption: `Batch mean of log(π_ref(y_w|x)/π_ref(y_l|x)) (${FIGURE_METRICS.refLogratio}) per DPO run.`,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      config: CONFIG,
      ...PANEL,
      width: 420,
      height: 220,
      data: { values },
      mark: { type: 'line', clip: true },
      encoding: {
        x,
        y: { field: 'value', type: 'quantitative', title: 'reference log-ratio' },
        color: { field: 'name', type: 'nominal', title: 'run' },
        ...widthEncodings(values),
        detail: { field: 'run' },
      },
    } as TopLevelSpec,
  };
}

// ---------- Fig 5: KL evolution with outcome markers ----------

/** Fig 5: objective/kl per run, ✓ at the end of stable runs and × at the end of over-optimised ones. */
function planKlEnds(runs: readonly RunRecord[]): FigurePlan | FigureOmission {
  const title = 'Figure 5: KL evolution with outcome markers';
  const compared = runs.filter(isOnline);
  const lines = seedRows(
    compared,
    (r) => metricSeries(r.metrics, FIGURE_METRICS.kl),
    (r) => ({ layer: 'line', ...runTags(r) }),
  );
  if (lines.length === 0) {
    return {
      id: 'fig5',
      title,
      note: `No KL-constrained or MaxEnt run logged ${FIGURE_METRICS.kl}: figure omitted.`,
    };
  }
  const markers = compared.flatMap((run) => endMarker(run));
  return {
    id: 'fig5',
    title,
    caption:
      `${FIGURE_METRICS.kl} per run (thin: one per seed, thick: the mean); ${MARKER.stable} marks a run whose gold win rate ` +
      `ended within ${TRAJECTORY_RULE.goldDrop} of its peak, ${MARKER.overOptimised} one that fell further (trajectory rule); ` +
      'unmarked runs had too few evaluations. Colour: method; line style: learning rate.',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      config: CONFIG,
      data: { values: [...lines, ...markers] },
      facet: { column: { field: 'model', type: 'nominal', title: null } },
      spec: {
        ...PANEL,
        height: 200,
        layer: [
          {
            transform: [{ filter: "datum.layer === 'line'" }],
            mark: { type: 'line', clip: true },
            encoding: {
              x,
              y: { field: 'value', type: 'quantitative', title: 'KL(π_t‖π_ref)' },
              ...groupColor(lines),
            },
          },
          {
            transform: [{ filter: "datum.layer === 'marker'" }],
            mark: { type: 'text', fontSize: 16, fontWeight: 'bold', dx: 8 },
            encoding: {
              x,
              y: { field: 'value', type: 'quantitative' },
              text: { field: 'marker' },
              color: groupColor(lines).color,
              detail: { field: 'run' },
            },
          },
        ],
      },
    } as TopLevelSpec,
  };
}

function runTags(run: RunRecord): Record<string, string> {
  return { group: methodLabel(run), rate: formatLr(run.labels.lr), model: modelOf(run), name: run.name };
}

/**
 * The ✓/× row at the last KL point of a run, by the trajectory rule's gold condition (× when the gold
 * win rate ended ≥ TRAJECTORY_RULE.goldDrop below its peak); none with too few evaluations.
 */
function endMarker(run: RunRecord): Array<Record<string, unknown>> {
  const last = metricSeries(run.metrics, FIGURE_METRICS.kl).at(-1);
  const t = trajectoryOf(run);
  if (!last || t.kind === 'insufficient data') return [];
  const marker = t.kind === 'stable' ? MARKER.stable : MARKER.overOptimised;
  return rows([last], { layer: 'marker', marker, ...runTags(run), run: run.dir });
}
