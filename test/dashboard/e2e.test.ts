/**
 * End to end in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core): the page
 * draws a run's points, then picks up appended lines and new runs live, without reloading.
 */
import { access, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DashboardHandle, startDashboard } from '../../src/dashboard/server.ts';
import { dpoRun, tempRoot, writeRun } from '../report/synthetic-runs.ts';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const hasChromium = await access(CHROMIUM).then(
  () => true,
  () => false,
);

/** Points per run id drawn in the chart of `metric` (from the chart's data-points attribute). */
function pointsOf(page: Page, metric: string): Promise<Record<string, number> | null> {
  return page.evaluate((m) => {
    const box = document.querySelector(`.chart[data-metric="${m}"]`) as HTMLElement | null;
    return box?.dataset.points ? JSON.parse(box.dataset.points) : null;
  }, metric);
}

/** Waits until the chart of `metric` shows `count` points for run `id`. */
async function waitForPoints(page: Page, metric: string, id: string, count: number): Promise<void> {
  await page.waitForFunction(
    ([m, runId, n]) => {
      const box = document.querySelector(`.chart[data-metric="${m}"]`) as HTMLElement | null;
      return box?.dataset.points !== undefined && JSON.parse(box.dataset.points)[runId] === n;
    },
    [metric, id, count] as const,
    { timeout: 10_000 },
  );
}

describe.skipIf(!hasChromium)('dashboard in headless Chromium', () => {
  let root: string;
  let dashboard: DashboardHandle;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    root = await tempRoot('maxent-e2e-');
    const run = dpoRun('dpo-live', 0.1);
    await writeRun(root, 'dpo', { ...run, status: 'running', lines: run.lines.slice(0, 3) });
    dashboard = await startDashboard({ runDir: root });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage();
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await page.goto(dashboard.url);
  });

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
  });

  it('draws one uPlot chart per metric with the run’s points', async () => {
    await waitForPoints(page, 'ref/logratio', 'dpo', 3);
    const metrics = await page.$$eval('.chart', (boxes) =>
      boxes.map((b) => (b as HTMLElement).dataset.metric),
    );
    expect(metrics).toEqual(['loss', 'ref/logratio', 'rewards/accuracies']);
    expect(await page.locator('.chart[data-metric="ref/logratio"] canvas').count()).toBe(1);
    expect(await page.locator('#runs tbody tr').count()).toBe(1);
    expect(errors).toEqual([]);
  });

  it('shows an appended metrics line without reloading', async () => {
    await page.evaluate(() => {
      (window as unknown as { notReloaded: boolean }).notReloaded = true;
    });
    await appendFile(join(root, 'dpo/metrics.jsonl'), '{"step": 3, "loss": 0.6, "ref/logratio": -0.4}\n');
    await waitForPoints(page, 'ref/logratio', 'dpo', 4);
    expect(await pointsOf(page, 'loss')).toEqual({ dpo: 4 });
    expect(await pointsOf(page, 'rewards/accuracies')).toEqual({ dpo: 3 });
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(
      true,
    );
  });

  it('adds a run that appears while the page is open as a new series', async () => {
    await writeRun(root, 'dpo-2', dpoRun('dpo-second', 0.5));
    await waitForPoints(page, 'ref/logratio', 'dpo-2', 10);
    expect(await pointsOf(page, 'ref/logratio')).toEqual({ dpo: 4, 'dpo-2': 10 });
    expect(await page.locator('#runs tbody tr').count()).toBe(2);
    expect(await page.locator('#connection').getAttribute('data-state')).toBe('open');
    expect(errors).toEqual([]);
  });
});
