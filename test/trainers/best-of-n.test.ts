/**
 * Best-of-n on tabular policies, where its distribution is known exactly: with rewards distinct
 * per response and F the reward CDF under π, π_bon(y) = F(y)^n − F⁻(y)^n. The choice frequencies
 * match it; the analytic KL log n − (n−1)/n is the continuous limit; the measured KL approaches the
 * exact one as the calibration draws grow, and with them the analytic one on a near-continuous
 * reward. The run folder holds one metrics line per n.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RunDir } from '../../src/runs/run-dir.ts';
import { tensor } from '../../src/tensor/index.ts';
import {
  bestOfN,
  bestOfNAnalyticKl,
  bestOfNLogRatio,
  runBestOfN,
} from '../../src/trainers/online/best-of-n.ts';
import { TabularPolicy } from '../../src/trainers/online/tabular-policy.ts';
import type { Rollout } from '../../src/trainers/online/types.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A one-prompt tabular problem with K responses: π = softmax(logits), reward r_y. */
function problem(probs: number[], rewards: number[], copies: number) {
  const policy = new TabularPolicy([probs.map(Math.log)], false);
  const reward = (r: Rollout) =>
    tensor(rewards, { dtype: 'float64' }).indexSelect(0, r.responseIds.reshape(-1));
  // `copies` prompts, all the same tabular prompt 0.
  const prompts = { count: copies, batch: (idx: number[]) => TabularPolicy.prompts(idx.map(() => 0)) };
  return { policy, reward, prompts };
}

/** Exact π_bon and KL(π_bon‖π) for distinct rewards, independently of the code under test. */
function exactBestOfN(probs: number[], rewards: number[], n: number) {
  const order = probs.map((_, i) => i).sort((a, b) => rewards[a]! - rewards[b]!);
  const bon = Array<number>(probs.length).fill(0);
  let below = 0;
  for (const y of order) {
    bon[y] = (below + probs[y]!) ** n - below ** n;
    below += probs[y]!;
  }
  const kl = bon.reduce((s, q, y) => (q > 0 ? s + q * Math.log(q / probs[y]!) : s), 0);
  return { bon, kl };
}

describe('best-of-n', () => {
  it('analytic KL log n − (n−1)/n by hand', () => {
    expect(bestOfNAnalyticKl(1)).toBe(0);
    expect(bestOfNAnalyticKl(2)).toBeCloseTo(Math.log(2) - 0.5, 14);
    expect(bestOfNAnalyticKl(16)).toBeCloseTo(Math.log(16) - 15 / 16, 14);
    expect(() => bestOfNAnalyticKl(0)).toThrow(/n >= 1/);
  });

  it('density ratio from calibration draws: a tied level, and the continuous limit', () => {
    // r = 2 among draws [1, 2, 2, 3]: F⁻ = 1/4, F = 3/4 → ((3/4)^3 − (1/4)^3)/(1/2).
    expect(bestOfNLogRatio(2, [1, 2, 2, 3], 3)).toBeCloseTo(Math.log((27 / 64 - 1 / 64) / 0.5), 14);
    // r = 2.5 not among them: n·F^{n−1} with F = 3/4.
    expect(bestOfNLogRatio(2.5, [1, 2, 2, 3], 3)).toBeCloseTo(Math.log(3 * (3 / 4) ** 2), 14);
    // Above every draw: log n.
    expect(bestOfNLogRatio(9, [1, 2, 2, 3], 3)).toBeCloseTo(Math.log(3), 14);
  });

  it('keeps the best of n draws: choice frequencies match π_bon = F^n − F⁻^n', () => {
    const probs = [0.1, 0.4, 0.2, 0.3];
    const rewards = [0.5, -1, 2, 0.1];
    const { policy, reward, prompts } = problem(probs, rewards, 4000);
    const [r] = bestOfN({
      policy,
      reward,
      prompts,
      n: 3,
      temperature: 1,
      maxNewTokens: 1,
      seed: 2,
    });
    const freq = Array<number>(4).fill(0);
    for (const tokens of r!.responses) freq[tokens[0]!]! += 1 / 4000;
    const { bon } = exactBestOfN(probs, rewards, 3);
    for (const [y, f] of freq.entries()) expect(Math.abs(f - bon[y]!)).toBeLessThan(0.03);
    // Each chosen score is its response's reward.
    for (const [p, t] of r!.responses.entries()) expect(r!.scores[p]).toBe(rewards[t[0]!]);
  });

  it('measured KL approaches the exact KL as calibration draws grow (a discrete reward, below the analytic bound)', () => {
    const probs = [0.1, 0.4, 0.2, 0.3];
    const rewards = [0.5, -1, 2, 0.1];
    const n = 4;
    const { kl } = exactBestOfN(probs, rewards, n);
    expect(kl).toBeLessThan(bestOfNAnalyticKl(n) - 0.05);
    const errors = [4, 512].map((m) => {
      const { policy, reward, prompts } = problem(probs, rewards, 1500);
      const [r] = bestOfN({
        policy,
        reward,
        prompts,
        n,
        temperature: 1,
        maxNewTokens: 1,
        seed: 5,
        calibrationSamples: m,
        batchSize: 250,
      });
      return Math.abs(r!.measuredKl! - kl);
    });
    expect(errors[1]).toBeLessThan(errors[0]!);
    expect(errors[1]).toBeLessThan(0.03);
  });

  it('on a near-continuous reward the exact and the measured KL are close to log n − (n−1)/n', () => {
    const K = 200;
    const probs = Array.from({ length: K }, (_, i) => 1 + 0.5 * Math.sin(i)); // uneven, none dominant
    const z = probs.reduce((a, b) => a + b, 0);
    const p = probs.map((x) => x / z);
    const rewards = Array.from({ length: K }, (_, i) => Math.cos(i * 1.7) + i * 1e-6); // distinct
    const n = 8;
    const analytic = bestOfNAnalyticKl(n);
    expect(Math.abs(exactBestOfN(p, rewards, n).kl - analytic)).toBeLessThan(0.02);
    const { policy, reward, prompts } = problem(p, rewards, 600);
    const [r] = bestOfN({
      policy,
      reward,
      prompts,
      n,
      temperature: 1,
      maxNewTokens: 1,
      seed: 9,
      calibrationSamples: 256,
      batchSize: 100,
    });
    // Monte Carlo error over 600 prompts ≈ 0.03.
    expect(Math.abs(r!.measuredKl! - analytic)).toBeLessThan(0.08);
  });

  it('a grid of n reads every n off the same draws: the proxy score never falls as n grows', () => {
    const { policy, reward, prompts } = problem([0.1, 0.4, 0.2, 0.3], [0.5, -1, 2, 0.1], 300);
    const results = bestOfN({
      policy,
      reward,
      prompts,
      n: [4, 1, 2, 4],
      temperature: 1,
      maxNewTokens: 1,
      seed: 1,
    });
    expect(results.map((r) => r.n)).toEqual([1, 2, 4]);
    for (let p = 0; p < 300; p++) {
      expect(results[1]!.scores[p]).toBeGreaterThanOrEqual(results[0]!.scores[p]!);
      expect(results[2]!.scores[p]).toBeGreaterThanOrEqual(results[1]!.scores[p]!);
    }
  });

  it('writes a run folder: run.json (kind bon), one metrics line per n, samples.jsonl', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bon-'));
    dirs.push(dir);
    const { policy, reward, prompts } = problem([0.1, 0.4, 0.2, 0.3], [0.5, -1, 2, 0.1], 50);
    await runBestOfN({
      runDir: dir,
      name: 'bon',
      config: { n: [1, 4] },
      policy,
      reward,
      prompts,
      n: [1, 4],
      temperature: 1,
      maxNewTokens: 1,
      seed: 3,
      calibrationSamples: 32,
      evaluate: (r) => ({ gold_score: r.scores.reduce((a, b) => a + b, 0) / r.scores.length }),
    });
    expect(RunDir.readInfo(dir)).toMatchObject({
      kind: 'bon',
      status: 'done',
      labels: { algorithm: 'best-of-n' },
    });
    const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, number>);
    expect(lines.map((l) => l.step)).toEqual([1, 4]);
    expect(lines[1]!['objective/kl_analytic']).toBeCloseTo(Math.log(4) - 0.75, 12);
    expect(lines[1]!['objective/kl']).toBeGreaterThan(0);
    expect(lines[1]!['eval/gold_score']).toBeCloseTo(lines[1]!['objective/scores']!, 12);
    expect(lines[1]!['objective/scores']).toBeGreaterThan(lines[0]!['objective/scores']!);
    const samples = readFileSync(join(dir, 'samples.jsonl'), 'utf8').trim().split('\n');
    expect(samples).toHaveLength(100);
  });
});
