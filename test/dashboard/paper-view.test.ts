/**
 * Issue 26, item 7, in headless Chromium: the paper's quantities first and in the paper's order,
 * metrics that do not move hidden (constants, step counters such as `episode` and `bon/n`),
 * TensorBoard-style smoothing, series grouped by method (the mean over seeds), and runs that share
 * a name told apart by their seed. Expected numbers are worked by hand. DASHBOARD_SCREENSHOTS=DIR
 * saves what the page looks like.
 */
import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DashboardHandle, startDashboard } from '../../src/dashboard/server.ts';
import { klRun, maxEntRun, type SyntheticRun, tempRoot, writeRun } from '../report/synthetic-runs.ts';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = await access(CHROMIUM).then(
  () => true,
  () => false,
);
const SHOTS = process.env.DASHBOARD_SCREENSHOTS;

/** A MaxEnt run of seed `seed` whose proxy score is `slope`·step + 0.1, plus constants and counters. */
function seeded(seed: number, slope: number): SyntheticRun {
  const run = maxEntRun('maxent-a0.05', 0.05, 1e-3);
  return {
    ...run,
    labels: { ...run.labels, seed },
    lines: run.lines.map((l) => ({
      ...l,
      'objective/scores': 0.1 + slope * l.step!,
      episode: 16 * l.step!,
      'rollout/k': 2,
    })),
  };
}

const simpo = (seed: number): SyntheticRun => ({
  name: 'simpo',
  kind: 'po',
  labels: { algorithm: 'simpo', lr: 1e-3, seed },
  lines: [0, 1, 2].map((step) => ({ step, loss: 0.7 - 0.1 * step - 0.01 * seed })),
});

const bon: SyntheticRun = {
  name: 'best-of-n',
  kind: 'bon',
  labels: { algorithm: 'best-of-n', seed: 1 },
  lines: [1, 2, 4].map((n) => ({
    step: n,
    'bon/n': n,
    'objective/scores': Math.log(n),
    'objective/kl_analytic': Math.log(n) - (n - 1) / n,
  })),
};

const data = <T>(page: Page, metric: string, attr: 'series' | 'points') =>
  page.evaluate(
    ([m, a]) => {
      const box = document.querySelector(`.chart[data-metric="${m}"]`) as HTMLElement | null;
      const v = box?.dataset[a];
      return v ? JSON.parse(v) : null;
    },
    [metric, attr] as const,
  ) as Promise<T>;

describe.skipIf(!hasChromium)('the dashboard shows the paper first', () => {
  let dashboard: DashboardHandle;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    const root = await tempRoot('maxent-paper-view-');
    await writeRun(root, 'seed-1/rl/maxent', seeded(1, 0.05));
    await writeRun(root, 'seed-2/rl/maxent', seeded(2, 0.07));
    await writeRun(root, 'seed-1/rl/kl', klRun('kl-b0.05', 0.05, 1e-3));
    for (const seed of [1, 2, 3]) await writeRun(root, `seed-${seed}/po/simpo`, simpo(seed));
    await writeRun(root, 'seed-1/bon', bon);
    dashboard = await startDashboard({ runDir: root });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(dashboard.url);
    await page.waitForFunction(() => document.querySelectorAll('#runs tbody tr').length === 7, null, {
      timeout: 10_000,
    });
    await page.waitForFunction(
      () =>
        (document.querySelector('.chart[data-metric="loss"]') as HTMLElement | null)?.dataset.totalPoints ===
        '9',
      null,
      { timeout: 10_000 },
    );
    if (SHOTS) {
      await mkdir(SHOTS, { recursive: true });
      await page.screenshot({ path: join(SHOTS, 'dashboard-runs.png'), fullPage: true });
    }
  });

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
  });

  it("puts the paper's quantities first, in the paper's order", async () => {
    const paper = await page.$$eval('#paper-charts .chart', (b) =>
      b.map((x) => (x as HTMLElement).dataset.metric),
    );
    expect(paper).toEqual([
      'eval/win_rate',
      'objective/scores',
      'eval/proxy_reward',
      'objective/rlhf_reward',
      'objective/kl',
      'objective/entropy',
      'policy/kl_prev',
    ]);
    expect(await page.locator('#paper-charts .chart').first().locator('h3').textContent()).toContain(
      'gold win rate',
    );
    expect(await page.locator('#more').getAttribute('open')).toBeNull(); // the rest starts folded
  });

  it('hides constants and step counters until asked', async () => {
    const hidden = () =>
      page.$$eval('.chart', (b) =>
        b
          .filter((x) => (x as HTMLElement).hidden)
          .map((x) => `${(x as HTMLElement).dataset.metric}: ${(x as HTMLElement).dataset.hiddenReason}`),
      );
    expect((await hidden()).sort()).toEqual([
      'bon/n: step counter',
      'episode: step counter',
      'rollout/k: constant',
    ]);
    await page.check('#show-still');
    expect(await hidden()).toEqual([]);
    await page.uncheck('#show-still');
  });

  it('smooths as TensorBoard does (debiased EMA)', async () => {
    await page.locator('#smoothing').fill('0.5');
    await page.waitForFunction(() => document.querySelector('#smoothing-value')?.textContent === '0.50');
    await page.waitForTimeout(300);
    const series = await data<Record<string, number[]>>(page, 'eval/win_rate', 'series');
    // seed-1 maxent win rates 0.5, 0.6, 0.55, …; w = 0.5: 0.5, (0.125+0.3)/0.75, (0.2125+0.275)/0.875
    const s = series['seed-1/rl/maxent']!;
    expect(s[0]).toBeCloseTo(0.5, 12);
    expect(s[1]).toBeCloseTo(0.425 / 0.75, 12);
    expect(s[2]).toBeCloseTo(0.4875 / 0.875, 12);
    await page.locator('#smoothing').fill('0');
    await page.waitForTimeout(300);
  });

  it('groups the seeds of a method into their mean', async () => {
    await page.selectOption('#group-by', 'method');
    await page.waitForTimeout(300);
    const series = await data<Record<string, number[]>>(page, 'objective/scores', 'series');
    const maxent = Object.entries(series).find(([k]) => k.startsWith('maxent-a0.05 (mean of 2)'));
    expect(maxent).toBeDefined();
    // seeds' scores 0.1 + 0.05·step and 0.1 + 0.07·step: mean 0.1 + 0.06·step
    for (const [step, v] of maxent![1].entries()) expect(v).toBeCloseTo(0.1 + 0.06 * step, 12);
    const loss = await data<Record<string, number>>(page, 'loss', 'points');
    expect(loss).toEqual({ 'simpo (mean of 3)': 3 });
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'dashboard-by-method.png'), fullPage: true });
    await page.selectOption('#group-by', 'run');
    await page.waitForTimeout(300);
  });

  it('tells runs that share a name apart by their seed', async () => {
    const names = await page.$$eval('#runs tbody tr td:first-child', (cells) =>
      cells.map((c) => c.textContent),
    );
    expect(names.filter((n) => n?.startsWith('simpo')).sort()).toEqual([
      'simpo · seed 1',
      'simpo · seed 2',
      'simpo · seed 3',
    ]);
    expect(errors).toEqual([]);
  });
});
