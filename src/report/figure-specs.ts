/**
 * The paper's figures as vega-lite specs built from run folders (pure: runs in, specs out).
 * A figure whose runs are absent is returned as an omission with a note, never as an empty plot.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { RunRecord } from '../runs/run-reader.ts';
import { metricSeries, type SeriesPoint } from './series.ts';
import { type VerdictThresholds, verdictOf } from './verdict.ts';

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
export function planFigures(
  runs: readonly RunRecord[],
  thresholds: Partial<VerdictThresholds> = {},
): Array<FigurePlan | FigureOmission> {
  return [
    ...planRewardAndBonus(runs),
    planKlDynamics(runs),
    planDpoLogratio(runs),
    planKlEnds(runs, thresholds),
  ];
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
  const labelled = byCoef.flatMap(([, coefRuns]) =>
    coefRuns.map((run) => ({ run, series: coefLegendLabel(run.labels.coef, coefRuns) })),
  );
  const reward = labelled.flatMap(({ run, series }) =>
    rows(metricSeries(run.metrics, FIGURE_METRICS.rlhfReward), { series, run: run.name }),
  );
  const bonus = labelled.flatMap(({ run, series }) =>
    rows(entropyBonusSeries(run), { series, run: run.name }),
  );
  const color = {
    field: 'series',
    type: 'nominal',
    title: 'α (final win rate)',
    sort: labelled.map((l) => l.series),
  } as const;
  const chart = (values: unknown[], yTitle: string) => ({
    ...PANEL,
    data: { values },
    mark: { type: 'line', clip: true },
    encoding: {
      x,
      y: { field: 'value', type: 'quantitative', title: yTitle },
      color,
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
  const compared = runs.filter((r) => isKl(r) || isMaxEnt(r));
  const values = compared.flatMap((run) => {
    const tags = { group: groupOf(run), run: run.name, model: modelOf(run) };
    return [
      ...rows(metricSeries(run.metrics, FIGURE_METRICS.kl), { ...tags, metric: 'KL(π_t‖π_ref)' }),
      ...rows(metricSeries(run.metrics, FIGURE_METRICS.klPrev), { ...tags, metric: 'KL(π_t‖π_t−1)' }),
    ];
  });
  if (values.length === 0) {
    const note = `No KL-constrained or MaxEnt run logged ${FIGURE_METRICS.kl} or ${FIGURE_METRICS.klPrev}: figure omitted.`;
    return { id: 'fig3', title, note };
  }
  return {
    id: 'fig3',
    title,
    caption: `Top: ${FIGURE_METRICS.kl}; bottom: ${FIGURE_METRICS.klPrev}; colour: regularisation.`,
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
        encoding: { x, y: { field: 'value', type: 'quantitative', title: 'KL' }, ...groupColor },
      },
      resolve: { scale: { y: 'independent' } },
    } as TopLevelSpec,
  };
}

function groupOf(run: RunRecord): string {
  return isKl(run) ? GROUP_LABEL.kl : GROUP_LABEL.entropy;
}

const groupColor = {
  color: {
    field: 'group',
    type: 'nominal',
    title: 'regularisation',
    scale: { domain: [GROUP_LABEL.kl, GROUP_LABEL.entropy], range: ['#1f77b4', '#d62728'] },
  },
  detail: { field: 'run' },
} as const;

// ---------- Fig 4: DPO reference log-ratio ----------

/** Fig 4: batch mean of log π_ref(y_w|x)/π_ref(y_l|x) during DPO training, one line per run. */
function planDpoLogratio(runs: readonly RunRecord[]): FigurePlan | FigureOmission {
  const title = 'Figure 4: reference log-ratio during DPO training';
  const dpo = runs.filter(isDpo);
  const values = dpo.flatMap((run) =>
    rows(metricSeries(run.metrics, FIGURE_METRICS.refLogratio), { run: run.name }),
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
        color: { field: 'run', type: 'nominal', title: 'run' },
      },
    } as TopLevelSpec,
  };
}

// ---------- Fig 5: KL evolution with outcome markers ----------

/** Fig 5: objective/kl per run, ✓ at the end of stable runs and × at the end of over-optimised ones. */
function planKlEnds(
  runs: readonly RunRecord[],
  thresholds: Partial<VerdictThresholds>,
): FigurePlan | FigureOmission {
  const title = 'Figure 5: KL evolution with outcome markers';
  const compared = runs.filter((r) => isKl(r) || isMaxEnt(r));
  const lines = compared.flatMap((run) =>
    rows(metricSeries(run.metrics, FIGURE_METRICS.kl), { layer: 'line', ...runTags(run) }),
  );
  if (lines.length === 0) {
    return {
      id: 'fig5',
      title,
      note: `No KL-constrained or MaxEnt run logged ${FIGURE_METRICS.kl}: figure omitted.`,
    };
  }
  const markers = compared.flatMap((run) => endMarker(run, thresholds));
  return {
    id: 'fig5',
    title,
    caption:
      `${FIGURE_METRICS.kl} per run; ${MARKER.stable} marks a stable (high win rate) run and ` +
      `${MARKER.overOptimised} an over-optimised or collapsed one (computed verdicts); unmarked runs had too few evaluations.`,
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
              ...groupColor,
            },
          },
          {
            transform: [{ filter: "datum.layer === 'marker'" }],
            mark: { type: 'text', fontSize: 16, fontWeight: 'bold', dx: 8 },
            encoding: {
              x,
              y: { field: 'value', type: 'quantitative' },
              text: { field: 'marker' },
              ...groupColor,
            },
          },
        ],
      },
    } as TopLevelSpec,
  };
}

function runTags(run: RunRecord): Record<string, string> {
  return { group: groupOf(run), run: run.name, model: modelOf(run) };
}

/** The ✓/× row at the last KL point of a run; none when the verdict is insufficient data. */
function endMarker(run: RunRecord, thresholds: Partial<VerdictThresholds>): Array<Record<string, unknown>> {
  const last = metricSeries(run.metrics, FIGURE_METRICS.kl).at(-1);
  const verdict = verdictOf(run, thresholds).kind;
  if (!last || verdict === 'insufficient data') return [];
  const marker = verdict === 'stable' ? MARKER.stable : MARKER.overOptimised;
  return rows([last], { layer: 'marker', marker, ...runTags(run) });
}
