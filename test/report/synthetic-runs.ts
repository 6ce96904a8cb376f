/** Synthetic run folders for report and dashboard tests (written to temporary folders). */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MetricLine, RunLabels } from '../../src/runs/run-reader.ts';

/** A fresh empty temporary folder. */
export function tempRoot(prefix = 'maxent-report-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export interface SyntheticRun {
  name: string;
  kind: string;
  labels: RunLabels;
  status?: string;
  lines: MetricLine[];
}

/** Writes run.json and metrics.jsonl (one line each, newline-terminated, plus an optional raw tail). */
export async function writeRun(
  root: string,
  relPath: string,
  run: SyntheticRun,
  rawTail = '',
): Promise<string> {
  const dir = join(root, relPath);
  await mkdir(dir, { recursive: true });
  const runJson = {
    name: run.name,
    kind: run.kind,
    status: run.status ?? 'done',
    labels: run.labels,
    config: {},
  };
  await writeFile(join(dir, 'run.json'), JSON.stringify(runJson));
  const body = run.lines.map((l) => `${JSON.stringify(l)}\n`).join('');
  await writeFile(join(dir, 'metrics.jsonl'), body + rawTail);
  return dir;
}

/**
 * An online RL curve over `steps` steps with a gold evaluation every `evalEvery` steps.
 * `winRates` gives the gold win rate of each evaluation; the proxy reward rises linearly by `proxySlope`.
 */
export function onlineCurve(o: {
  winRates: number[];
  evalEvery?: number;
  proxySlope?: number;
  coef?: number;
  klSlope?: number;
}): MetricLine[] {
  const evalEvery = o.evalEvery ?? 5;
  const steps = Math.max(1, (o.winRates.length - 1) * evalEvery + 1);
  const coef = o.coef ?? 0.05;
  const lines: MetricLine[] = [];
  for (let step = 0; step < steps; step++) {
    const scores = 0.1 + (o.proxySlope ?? 0.05) * step;
    const entropy = 2 + 0.1 * step;
    const line: MetricLine = {
      step,
      time: step * 0.5,
      'objective/scores': scores,
      'objective/entropy': entropy,
      'objective/rlhf_reward': scores + coef * entropy,
      'objective/kl': (o.klSlope ?? 0.2) * step,
      'policy/kl_prev': 0.01 + 0.001 * step,
    };
    if (step % evalEvery === 0) {
      line['eval/win_rate'] = o.winRates[step / evalEvery]!;
      line['eval/proxy_reward'] = scores;
    }
    lines.push(line);
  }
  return lines;
}

/** Win rates of an over-optimising run: up to 0.6, then down to 0.3. */
export const OVER_OPTIMISING_WIN_RATES = [0.5, 0.6, 0.55, 0.4, 0.3];
/** Win rates of a stable run: steady improvement. */
export const STABLE_WIN_RATES = [0.5, 0.55, 0.6, 0.62, 0.63];

/** A MaxEnt run that over-optimises. */
export function maxEntRun(
  name: string,
  coef: number,
  lr: number,
  winRates = OVER_OPTIMISING_WIN_RATES,
): SyntheticRun {
  return {
    name,
    kind: 'rl',
    labels: { algorithm: 'ppo', regularizer: 'entropy', coef, lr, seed: 1 },
    lines: onlineCurve({ winRates, coef, klSlope: 0.5 }),
  };
}

/** A KL-regularised run that stays stable. */
export function klRun(name: string, coef: number, lr: number, winRates = STABLE_WIN_RATES): SyntheticRun {
  return {
    name,
    kind: 'rl',
    labels: { algorithm: 'ppo', regularizer: 'kl', coef, lr, seed: 1 },
    lines: onlineCurve({ winRates, coef: 0, klSlope: 0.05 }),
  };
}

/** An offline DPO run logging the reference log-ratio. */
export function dpoRun(name: string, beta: number): SyntheticRun {
  const lines: MetricLine[] = Array.from({ length: 10 }, (_, step) => ({
    step,
    loss: 0.69 - 0.02 * step,
    'ref/logratio': -0.5 + 0.01 * step,
    'rewards/accuracies': 0.5 + 0.02 * step,
  }));
  return { name, kind: 'po', labels: { algorithm: 'dpo', beta, lr: 5e-7 }, lines };
}
