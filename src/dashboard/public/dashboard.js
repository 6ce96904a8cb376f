/**
 * maxent-rlhf live dashboard (browser side, an ES module; uPlot's global is loaded before it).
 *
 * State: every run's metric lines, in file order. Lines arrive from GET /api/runs/:id/metrics?from=N and
 * from the Server-Sent Events stream (`metrics` events carry `from`, the index of their first line), so
 * duplicates are dropped and gaps are fetched. One uPlot chart per metric name, one series per run.
 * Each chart's box exposes `data-points` (JSON: run id → drawn points) and `data-total-points`.
 */

/** Line keys that are x axes, not metrics. */
const AXIS_KEYS = new Set(['step', 'time']);
const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const RENDER_DELAY_MS = 100;
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
  renderRunsTable();
  for (const metric of [...dirtyMetrics].sort()) renderChart(metric);
  dirtyMetrics.clear();
  orderCharts();
  applyFilter();
}

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
        run.info.name,
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

/** Every run's points of one metric, joined on a shared sorted x axis (null where a run has no point). */
function chartData(metric) {
  const parts = [];
  for (const [id, run] of runs) {
    const points = new Map();
    run.lines.forEach((line, index) => {
      if (line[metric] !== undefined) points.set(line.step ?? index, line[metric]);
    });
    if (points.size > 0) parts.push({ id, run, points });
  }
  const xs = [...new Set(parts.flatMap((p) => [...p.points.keys()]))].sort((a, b) => a - b);
  const columns = parts.map((p) => xs.map((x) => (p.points.has(x) ? p.points.get(x) : null)));
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
  const seriesKey = parts.map((p) => p.id).join('\n');
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
  const counts = Object.fromEntries(parts.map((p) => [p.id, p.points.size]));
  chart.box.dataset.points = JSON.stringify(counts);
  chart.box.dataset.totalPoints = String(parts.reduce((sum, p) => sum + p.points.size, 0));
}

function chartBox(metric) {
  const box = document.createElement('div');
  box.className = 'chart';
  box.dataset.metric = metric;
  const title = document.createElement('h3');
  title.textContent = metric;
  const plot = document.createElement('div');
  plot.className = 'plot';
  box.append(title, plot);
  $('#charts').append(box);
  return box;
}

function plotOptions(parts) {
  return {
    ...CHART_SIZE,
    scales: { x: { time: false } },
    axes: [{ label: 'step' }, {}],
    series: [
      { label: 'step' },
      ...parts.map((p) => ({ label: p.run.info.name, stroke: p.run.color, width: 1.5, spanGaps: true })),
    ],
  };
}

function orderCharts() {
  const container = $('#charts');
  for (const metric of [...charts.keys()].sort()) container.append(charts.get(metric).box);
}

function applyFilter() {
  const text = $('#filter').value.trim().toLowerCase();
  for (const [metric, chart] of charts)
    chart.box.hidden = text !== '' && !metric.toLowerCase().includes(text);
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
connect();
