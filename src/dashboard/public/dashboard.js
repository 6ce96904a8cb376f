/**
 * maxent-rlhf live dashboard (browser side, an ES module; uPlot's global is loaded before it).
 *
 * State: every run's metric lines, in file order. Lines arrive from GET /api/runs/:id/metrics?from=N and
 * from the Server-Sent Events stream (`metrics` events carry `from`, the index of their first line), so
 * duplicates are dropped and gaps are fetched. One uPlot chart per metric name, one series per run
 * (or, grouped by method, one per method: the mean over its seeds).
 *
 * Layout: the paper's quantities first (win rate, reward, KL, entropy, KL to the previous policy), in
 * that order; every other metric below, grouped by its prefix (`eval/`, `objective/`, …) in a section
 * that starts folded when paper quantities exist. Metrics that do not move — constant in every run, or
 * a counter of the step (`episode`, `bon/n`) — are hidden unless asked for. Smoothing is TensorBoard's
 * debiased exponential moving average over each series' points.
 *
 * Each chart's box exposes `data-points` (JSON: series key → drawn points), `data-total-points`,
 * `data-series` (JSON: series key → its drawn y values) and `data-hidden-reason` when hidden.
 */

/** Line keys that are x axes, not metrics. */
const AXIS_KEYS = new Set(['step', 'time']);
const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const RENDER_DELAY_MS = 100;
/** The paper's quantities, in the order the paper discusses them, with their readable names. */
const PAPER_METRICS = [
  ['eval/win_rate', 'gold win rate vs the reference'],
  ['eval/gold_score', 'gold score'],
  ['objective/scores', 'reward (proxy score)'],
  ['eval/proxy_reward', 'proxy reward (greedy, held out)'],
  ['objective/rlhf_reward', 'regularised reward'],
  ['objective/kl', 'KL(π‖π_ref)'],
  ['objective/entropy', 'entropy H(π)'],
  ['policy/kl_prev', 'KL(π_t‖π_{t−1})'],
];
const PAPER_ORDER = new Map(PAPER_METRICS.map(([m], i) => [m, i]));
const PAPER_TITLES = new Map(PAPER_METRICS);
const CHART_SIZE = { width: 460, height: 220 };

/** id → { info, lines, fetching, again, color } */
const runs = new Map();
/** metric → { box, plot, seriesKey } */
const charts = new Map();
const dirtyMetrics = new Set();
let renderTimer = null;
let nextColor = 0;

const $ = (selector) => document.querySelector(selector);

function runState(id) {
  let run = runs.get(id);
  if (!run) {
    run = {
      info: { id, name: id },
      lines: [],
      fetching: false,
      again: false,
      color: PALETTE[nextColor++ % PALETTE.length],
    };
    runs.set(id, run);
  }
  return run;
}

function markAllDirty() {
  for (const metric of charts.keys()) dirtyMetrics.add(metric);
  for (const run of runs.values()) for (const line of run.lines) markLineDirty(line);
}

function markLineDirty(line) {
  for (const key of Object.keys(line)) if (!AXIS_KEYS.has(key)) dirtyMetrics.add(key);
}

/** Adds lines `from`.. of a run, skipping those already held and fetching any gap. */
function applyLines(id, from, lines) {
  const run = runState(id);
  if (from > run.lines.length) {
    void fetchMissing(id);
    return;
  }
  const fresh = lines.slice(run.lines.length - from);
  if (fresh.length === 0) return;
  run.lines.push(...fresh);
  for (const line of fresh) markLineDirty(line);
  scheduleRender();
}

/** Fetches every line of a run beyond those held (one request in flight per run). */
async function fetchMissing(id) {
  const run = runState(id);
  if (run.fetching) {
    run.again = true;
    return;
  }
  run.fetching = true;
  try {
    do {
      run.again = false;
      const response = await fetch(`/api/runs/${encodeURIComponent(id)}/metrics?from=${run.lines.length}`);
      if (!response.ok) break;
      const body = await response.json();
      applyLines(id, body.from, body.lines);
    } while (run.again);
  } finally {
    run.fetching = false;
  }
}

function setRunInfo(info) {
  runState(info.id).info = info;
  scheduleRender();
}

function resetRun(id) {
  runState(id).lines = [];
  markAllDirty();
  scheduleRender();
  void fetchMissing(id);
}

function removeRun(id) {
  runs.delete(id);
  markAllDirty();
  scheduleRender();
}

// ---------- rendering ----------

function scheduleRender() {
  if (renderTimer === null) renderTimer = setTimeout(render, RENDER_DELAY_MS);
}

function render() {
  renderTimer = null;
  assignLabels();
  renderRunsTable();
  for (const metric of [...dirtyMetrics].sort()) renderChart(metric);
  dirtyMetrics.clear();
  orderCharts();
  applyFilter();
}

// ---------- runs: labels, methods, colours ----------

/** A run's method: everything that names it but the seed (kind, labels, name without a seed part). */
function methodOf(run) {
  const { seed: _seed, ...labels } = run.info.labels ?? {};
  const name = String(run.info.name ?? run.info.id).replace(/(^|[-_/])seed[-_]?\d+/g, '');
  const keys = Object.keys(labels).sort();
  return `${run.info.kind ?? ''} ${name} ${keys.map((k) => `${k}=${JSON.stringify(labels[k])}`).join(' ')}`;
}

/** What a series is called: the run's name with its seed, or its id when names still collide. */
function assignLabels() {
  const byMethod = new Map();
  for (const run of runs.values()) {
    run.method = methodOf(run);
    const seed = run.info.labels?.seed;
    run.label = seed === undefined ? String(run.info.name) : `${run.info.name} · seed ${seed}`;
    if (!byMethod.has(run.method)) byMethod.set(run.method, byMethod.size);
  }
  const counts = new Map();
  for (const run of runs.values()) counts.set(run.label, (counts.get(run.label) ?? 0) + 1);
  for (const run of runs.values()) if (counts.get(run.label) > 1) run.label = run.info.id;
  // One colour per method: its seeds share it (dashes tell them apart).
  for (const run of runs.values()) run.color = PALETTE[byMethod.get(run.method) % PALETTE.length];
}

const grouping = () => $('#group-by').value;
const smoothing = () => Number($('#smoothing').value);
const showStill = () => $('#show-still').checked;

function renderRunsTable() {
  const body = $('#runs tbody');
  body.replaceChildren(
    ...[...runs.values()].map((run) => {
      const row = document.createElement('tr');
      row.dataset.run = run.info.id;
      const labels = Object.entries(run.info.labels ?? {})
        .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`)
        .join(', ');
      for (const text of [
        run.label ?? run.info.name,
        run.info.kind ?? '',
        run.info.status ?? '',
        labels,
        String(run.lines.length),
      ]) {
        const cell = document.createElement('td');
        cell.textContent = text;
        row.append(cell);
      }
      row.firstChild.style.borderLeft = `4px solid ${run.color}`;
      return row;
    }),
  );
}

/** TensorBoard's smoothing: a debiased exponential moving average with weight w, over the points in order. */
function smooth(values, w) {
  if (!(w > 0)) return values;
  let last = 0;
  let n = 0;
  return values.map((v) => {
    last = last * w + (1 - w) * v;
    n += 1;
    return last / (1 - w ** n);
  });
}

/** One series per run, or per method (the mean over its runs at each step that any of them logged). */
function seriesOf(metric) {
  const perRun = [];
  for (const [id, run] of runs) {
    const points = new Map();
    run.lines.forEach((line, index) => {
      const v = line[metric];
      if (typeof v === 'number' && Number.isFinite(v)) points.set(line.step ?? index, v);
    });
    if (points.size > 0)
      perRun.push({ key: id, label: run.label, color: run.color, method: run.method, points });
  }
  if (grouping() !== 'method') return perRun;
  const methods = new Map();
  for (const s of perRun) {
    const m = methods.get(s.method) ?? { key: s.method, color: s.color, runs: [] };
    m.runs.push(s);
    methods.set(s.method, m);
  }
  return [...methods.values()].map((m) => {
    const sums = new Map();
    for (const s of m.runs)
      for (const [x, v] of s.points) {
        const acc = sums.get(x) ?? { total: 0, n: 0 };
        acc.total += v;
        acc.n += 1;
        sums.set(x, acc);
      }
    const first = m.runs[0];
    const name = first.label.replace(/ · seed .*$/, '');
    return {
      key: `${name} (mean of ${m.runs.length})`,
      label: `${name} (mean of ${m.runs.length} seed${m.runs.length === 1 ? '' : 's'})`,
      color: m.color,
      points: new Map([...sums].sort((a, b) => a[0] - b[0]).map(([x, a]) => [x, a.total / a.n])),
    };
  });
}

/**
 * Why a metric is not worth a chart: every run holds it constant, or it counts steps (integers
 * proportional to the step, as `episode` and `bon/n`). The paper's quantities are always shown.
 */
function stillReason(series, metric) {
  if (PAPER_ORDER.has(metric)) return null;
  const all = series.flatMap((s) => [...s.points]);
  if (all.length < 2) return null;
  const constant = series.every((s) => {
    const v = [...s.points.values()];
    return v.every((x) => Math.abs(x - v[0]) <= 1e-12 * Math.max(1, Math.abs(v[0])));
  });
  if (constant) return 'constant';
  const counter = series.every((s) => {
    const pts = [...s.points].filter(([x]) => x !== 0);
    if (pts.length < 2 || ![...s.points.values()].every(Number.isInteger)) return false;
    const ratio = pts[0][1] / pts[0][0];
    return ratio !== 0 && pts.every(([x, v]) => v === ratio * x);
  });
  return counter ? 'step counter' : null;
}

/** The series of one metric, joined on a shared sorted x axis (null where a series has no point). */
function chartData(metric) {
  const parts = seriesOf(metric);
  const xs = [...new Set(parts.flatMap((p) => [...p.points.keys()]))].sort((a, b) => a - b);
  const w = smoothing();
  const columns = parts.map((p) => {
    const ys = smooth([...p.points.values()], w);
    const byX = new Map([...p.points.keys()].map((x, i) => [x, ys[i]]));
    return xs.map((x) => (byX.has(x) ? byX.get(x) : null));
  });
  return { parts, data: [xs, ...columns] };
}

function renderChart(metric) {
  const { parts, data } = chartData(metric);
  let chart = charts.get(metric);
  if (parts.length === 0) {
    if (chart) {
      chart.plot.destroy();
      chart.box.remove();
      charts.delete(metric);
    }
    return;
  }
  const seriesKey = `${grouping()}\n${parts.map((p) => `${p.key}:${p.label}:${p.color}`).join('\n')}`;
  if (!chart) {
    chart = { box: chartBox(metric), plot: null, seriesKey: '' };
    charts.set(metric, chart);
  }
  if (chart.seriesKey !== seriesKey) {
    chart.plot?.destroy();
    chart.plot = new uPlot(plotOptions(parts), data, chart.box.querySelector('.plot'));
    chart.seriesKey = seriesKey;
  } else {
    chart.plot.setData(data);
  }
  chart.still = stillReason(parts, metric);
  if (chart.still) chart.box.dataset.hiddenReason = chart.still;
  else delete chart.box.dataset.hiddenReason;
  const counts = Object.fromEntries(parts.map((p) => [p.key, p.points.size]));
  chart.box.dataset.points = JSON.stringify(counts);
  chart.box.dataset.totalPoints = String(parts.reduce((sum, p) => sum + p.points.size, 0));
  chart.box.dataset.series = JSON.stringify(
    Object.fromEntries(parts.map((p, i) => [p.key, data[i + 1].filter((v) => v !== null)])),
  );
}

function chartBox(metric) {
  const box = document.createElement('div');
  box.className = 'chart';
  box.dataset.metric = metric;
  const title = document.createElement('h3');
  const readable = PAPER_TITLES.get(metric);
  title.textContent = readable ? `${readable}` : metric;
  if (readable) {
    const key = document.createElement('code');
    key.textContent = metric;
    title.append(' ', key);
  }
  const plot = document.createElement('div');
  plot.className = 'plot';
  box.append(title, plot);
  return box;
}

function plotOptions(parts) {
  return {
    ...CHART_SIZE,
    scales: { x: { time: false } },
    axes: [{ label: 'step' }, {}],
    series: [
      { label: 'step' },
      ...parts.map((p, i) => ({
        label: p.label,
        stroke: p.color,
        width: 1.5,
        spanGaps: true,
        // Seeds of one method share a colour; dashes tell them apart.
        dash: grouping() === 'method' ? undefined : dashFor(p, parts.slice(0, i)),
      })),
    ],
  };
}

function dashFor(part, before) {
  const same = before.filter((p) => p.color === part.color).length;
  return same === 0
    ? undefined
    : [
        [6, 3],
        [2, 2],
        [8, 2, 2, 2],
      ][(same - 1) % 3];
}

/** The group a metric belongs to below the paper's quantities: its prefix (`eval`, `objective`, …). */
const groupOf = (metric) => (metric.includes('/') ? metric.slice(0, metric.indexOf('/')) : 'training');

function orderCharts() {
  const paper = $('#paper-charts');
  const others = $('#charts');
  const metrics = [...charts.keys()];
  for (const metric of metrics
    .filter((m) => PAPER_ORDER.has(m))
    .sort((a, b) => PAPER_ORDER.get(a) - PAPER_ORDER.get(b)))
    paper.append(charts.get(metric).box);
  const groups = new Map();
  for (const metric of metrics.filter((m) => !PAPER_ORDER.has(m)).sort()) {
    const g = groupOf(metric);
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g).push(metric);
  }
  // Un-prefixed metrics (loss, grad_norm, lr) first, then the prefixes alphabetically.
  const order = (g) => (g === 'training' ? '' : g);
  const sections = [...groups.keys()]
    .sort((a, b) => order(a).localeCompare(order(b)))
    .map((g) => {
      let section = others.querySelector(`.group[data-group="${CSS.escape(g)}"]`);
      if (!section) {
        section = document.createElement('div');
        section.className = 'group';
        section.dataset.group = g;
        const title = document.createElement('h3');
        title.className = 'group-title';
        title.textContent = g;
        const list = document.createElement('div');
        list.className = 'charts';
        section.append(title, list);
      }
      const list = section.querySelector('.charts');
      for (const metric of groups.get(g)) list.append(charts.get(metric).box);
      return section;
    });
  others.replaceChildren(...sections);
  const hasPaper = paper.children.length > 0;
  $('#paper').hidden = !hasPaper;
  const more = $('#more');
  if (!more.dataset.touched) more.open = !hasPaper;
}

function applyFilter() {
  const text = $('#filter').value.trim().toLowerCase();
  const still = showStill();
  let hidden = 0;
  for (const [metric, chart] of charts) {
    const filtered = text !== '' && !metric.toLowerCase().includes(text);
    const quiet = Boolean(chart.still) && !still;
    if (quiet && !filtered) hidden += 1;
    chart.box.hidden = filtered || quiet;
  }
  for (const section of document.querySelectorAll('#charts .group'))
    section.hidden = [...section.querySelectorAll('.chart')].every((box) => box.hidden);
  $('#still-count').textContent = hidden ? `(${hidden} hidden)` : '';
}

// ---------- live updates ----------

function connect() {
  const events = new EventSource('/api/events');
  const status = $('#connection');
  events.addEventListener('open', () => {
    status.dataset.state = 'open';
    status.textContent = 'live';
    void loadRuns();
  });
  events.addEventListener('error', () => {
    status.dataset.state = 'error';
    status.textContent = 'disconnected — retrying';
  });
  events.addEventListener('run', (e) => {
    const info = JSON.parse(e.data);
    setRunInfo(info);
    void fetchMissing(info.id);
  });
  events.addEventListener('metrics', (e) => {
    const { id, from, lines } = JSON.parse(e.data);
    applyLines(id, from, lines);
  });
  events.addEventListener('reset', (e) => resetRun(JSON.parse(e.data).id));
  events.addEventListener('removed', (e) => removeRun(JSON.parse(e.data).id));
}

/** Loads the run list and every run's missing lines (on start and after each reconnection). */
async function loadRuns() {
  const response = await fetch('/api/runs');
  if (!response.ok) return;
  const { runs: list } = await response.json();
  for (const info of list) setRunInfo(info);
  await Promise.all(list.map((info) => fetchMissing(info.id)));
}

$('#filter').addEventListener('input', applyFilter);
$('#show-still').addEventListener('change', applyFilter);
// Once the user folds or unfolds "Other metrics", the page stops doing it for them.
$('#more summary').addEventListener('click', () => {
  $('#more').dataset.touched = '1';
});
for (const control of ['#smoothing', '#group-by'])
  $(control).addEventListener('input', () => {
    $('#smoothing-value').textContent = smoothing().toFixed(2);
    markAllDirty();
    scheduleRender();
  });
connect();
