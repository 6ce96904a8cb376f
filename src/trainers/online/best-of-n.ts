/**
 * Best-of-n as an optimisation method without training (Nakano et al. 2021; Gao et al. 2023 use
 * it for their over-optimisation curves): for each prompt, sample n responses from the policy and
 * keep the one the reward function scores highest (ties: the first drawn, which is a uniformly
 * random tie-break since the draws are exchangeable). Its KL to the sampling policy is
 *   KL(π_bon‖π) = log n − (n − 1)/n          (analytic; exact for continuous rewards, an upper
 *                                              bound otherwise — Beirami et al. 2024)
 * and is also measured: with F(r) = P_{y∼π}(r(y) ≤ r) and F⁻(r) = P(r(y) < r), the chosen
 * response's density ratio is
 *   π_bon(y)/π(y) = (F^n − F⁻^n)/(F − F⁻)   (→ n·F^{n−1} when no other draw has its reward),
 * F estimated per prompt from `calibrationSamples` fresh draws of π; the measured KL is the mean of
 * its log over prompts. It converges to the true KL as the calibration draws grow.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../../io/atomic-write.ts';
import { samplingNoise } from '../../models/index.ts';
import type { MetricRecord } from '../../runs/metrics-log.ts';
import { RunDir, type RunLabels } from '../../runs/run-dir.ts';
import { noGrad, tidy } from '../../tensor/index.ts';
import { penalizeMissingEos } from './rewards.ts';
import type { OnlinePolicy, PromptSource, RewardFunction } from './types.ts';

export interface BestOfNOptions {
  policy: OnlinePolicy;
  reward: RewardFunction;
  prompts: PromptSource;
  /** Dataset indices of the prompts to answer (default: all). */
  indices?: number[];
  /** n, or a grid of n: every n ≤ max(n) is read off the same max(n) draws (their first n). */
  n: number | number[];
  temperature: number;
  maxNewTokens: number;
  /**
   * Seed of the keyed sampling noise: draw j of the p-th prompt is keyed (seed, 0, p, j), its
   * calibration draws (seed, 1, p, j), so results do not depend on batchSize.
   */
  seed: number;
  /** Score of a response without EOS (null: no penalty), as in training. */
  missingEosPenalty?: number | null;
  /** Fresh draws per prompt that estimate the reward CDF of the measured KL (0: not measured). */
  calibrationSamples?: number;
  /** Prompts per generation batch (each sampled max(n) times). */
  batchSize?: number;
  /** Called after each batch of prompts with the prompts done and their total (progress). */
  onPrompts?: (done: number, total: number) => void;
}

export interface BestOfNResult {
  n: number;
  /** Per prompt: the chosen response's token ids (up to and including EOS). */
  responses: number[][];
  /** Per prompt: whether the chosen response ended with EOS. */
  endedWithEos: boolean[];
  /** Per prompt: the chosen response's score under the reward function (the proxy score). */
  scores: number[];
  /** Per prompt: which of the draws was chosen (0-based). */
  chosenIndex: number[];
  /** log n − (n − 1)/n. */
  analyticKl: number;
  /** Mean over prompts of log π_bon(y*)/π(y*), or null without calibration draws. */
  measuredKl: number | null;
}

/** KL(π_bon‖π) for continuous rewards: log n − (n − 1)/n. */
export function bestOfNAnalyticKl(n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new Error(`best-of-n needs an integer n >= 1, got ${n}`);
  return Math.log(n) - (n - 1) / n;
}

/** log π_bon(y)/π(y) of a response with reward `r`, from draws `calibration` of π's rewards. */
export function bestOfNLogRatio(r: number, calibration: readonly number[], n: number): number {
  const m = calibration.length;
  let below = 0;
  let equal = 0;
  for (const c of calibration) {
    if (c < r) below++;
    else if (c === r) equal++;
  }
  const lower = below / m;
  const upper = (below + equal) / m;
  if (upper > lower) return Math.log((upper ** n - lower ** n) / (upper - lower));
  // Reward level not among the draws: the continuous limit n·F^{n−1}, F kept ≥ 1/(m+1).
  return Math.log(n) + (n - 1) * Math.log(Math.max(lower, 1 / (m + 1)));
}

/** Best-of-n for each n of the grid, on the same draws. */
export function bestOfN(o: BestOfNOptions): BestOfNResult[] {
  const grid = [...new Set(Array.isArray(o.n) ? o.n : [o.n])].sort((a, b) => a - b);
  for (const n of grid) bestOfNAnalyticKl(n);
  if (grid.length === 0) throw new Error('best-of-n needs at least one n');
  const nMax = grid[grid.length - 1]!;
  const m = o.calibrationSamples ?? 0;
  if (!Number.isInteger(m) || m < 0) throw new Error(`calibrationSamples must be an integer >= 0, got ${m}`);
  const indices = o.indices ?? Array.from({ length: o.prompts.count }, (_, i) => i);
  if (indices.length === 0) throw new Error('best-of-n needs at least one prompt');
  const batchSize = o.batchSize ?? indices.length;

  // Per prompt: the nMax draws (tokens, EOS, score) and the calibration scores.
  const draws: { tokens: number[]; eos: boolean; score: number }[][] = [];
  const calibration: number[][] = [];
  // Scores of k draws per prompt (and, when asked, each draw's tokens and EOS).
  const sample = (start: number, batch: number[], k: number, stream: number, withTokens: boolean) =>
    noGrad(() =>
      tidy(() => {
        const prompts = o.prompts.batch(batch.flatMap((i) => Array<number>(k).fill(i)));
        const keys = batch.flatMap((_, p) =>
          Array.from({ length: k }, (_, j) => ({ seed: o.seed, step: stream, prompt: start + p, sample: j })),
        );
        const rollout = o.policy.sample(prompts, {
          noise: samplingNoise(keys, o.maxNewTokens, prompts.ids.device),
          temperature: o.temperature,
          maxNewTokens: o.maxNewTokens,
        });
        const scores = penalizeMissingEos(
          o.reward(rollout),
          rollout.endedWithEos,
          o.missingEosPenalty ?? null,
        ).toArray();
        if (!withTokens) return scores.map((score) => ({ tokens: [] as number[], eos: false, score }));
        const R = rollout.responseIds.dim(1);
        const ids = rollout.responseIds.toArray();
        const mask = rollout.responseMask.toArray();
        const eos = rollout.endedWithEos.toArray();
        return scores.map((score, row) => {
          const tokens: number[] = [];
          for (let t = 0; t < R && mask[row * R + t]! > 0; t++) tokens.push(ids[row * R + t]!);
          return { tokens, eos: eos[row]! > 0, score };
        });
      }),
    );
  for (let start = 0; start < indices.length; start += batchSize) {
    const batch = indices.slice(start, start + batchSize);
    const rows = sample(start, batch, nMax, 0, true);
    for (let p = 0; p < batch.length; p++) draws.push(rows.slice(p * nMax, (p + 1) * nMax));
    if (m > 0) {
      const cal = sample(start, batch, m, 1, false);
      for (let p = 0; p < batch.length; p++)
        calibration.push(cal.slice(p * m, (p + 1) * m).map((d) => d.score));
    }
    o.onPrompts?.(start + batch.length, indices.length);
  }

  return grid.map((n) => {
    const chosenIndex = draws.map((d) => {
      let best = 0;
      for (let j = 1; j < n; j++) if (d[j]!.score > d[best]!.score) best = j;
      return best;
    });
    const chosen = chosenIndex.map((j, p) => draws[p]![j]!);
    const measuredKl =
      m > 0
        ? chosen.reduce((s, d, p) => s + bestOfNLogRatio(d.score, calibration[p]!, n), 0) / chosen.length
        : null;
    return {
      n,
      responses: chosen.map((d) => d.tokens),
      endedWithEos: chosen.map((d) => d.eos),
      scores: chosen.map((d) => d.score),
      chosenIndex,
      analyticKl: bestOfNAnalyticKl(n),
      measuredKl,
    };
  });
}

export interface BestOfNRunSpec extends Omit<BestOfNOptions, 'n'> {
  runDir: string;
  name: string;
  /** The n of the curve, one metrics line each (its step is n). */
  n: number[];
  /** Saved as run.json's config. */
  config: unknown;
  labels?: RunLabels;
  /** Response tokens → text, for samples.jsonl (absent: token ids only). */
  decode?: (tokens: number[]) => string;
  /** Held-out metrics of the chosen responses (gold score, win rate…), logged as eval/*. */
  evaluate?: (result: BestOfNResult) => Record<string, number> | Promise<Record<string, number>>;
  log?: (msg: string) => void;
}

/**
 * Best-of-n over a grid of n as a run folder the report and dashboard read (docs/run-folder.md):
 * run.json (kind `bon`), one metrics line per n — step n, `objective/scores` (the proxy score of the
 * chosen responses), `objective/kl` (measured) beside `objective/kl_analytic`, eval/* — and
 * samples.jsonl (each prompt's chosen response for each n). No training, so nothing to resume: a
 * rerun recomputes the whole curve.
 */
export async function runBestOfN(spec: BestOfNRunSpec): Promise<BestOfNResult[]> {
  const folder = RunDir.open(spec.runDir, {
    name: spec.name,
    kind: 'bon',
    labels: { algorithm: 'best-of-n', ...spec.labels },
    config: spec.config,
  });
  folder.metrics.repair(-1);
  try {
    const results = bestOfN({ ...spec, n: spec.n });
    const indices = spec.indices ?? Array.from({ length: spec.prompts.count }, (_, i) => i);
    const samples: string[] = [];
    for (const r of results) {
      const line: MetricRecord = {
        step: r.n,
        'bon/n': r.n,
        'objective/scores': mean(r.scores),
        'objective/kl_analytic': r.analyticKl,
        'response/length_mean': mean(r.responses.map((t) => t.length)),
        'response/eos_rate': mean(r.endedWithEos.map(Number)),
        ...(r.measuredKl === null ? {} : { 'objective/kl': r.measuredKl }),
      };
      if (spec.evaluate)
        for (const [k, v] of Object.entries(await spec.evaluate(r)))
          line[k.includes('/') ? k : `eval/${k}`] = v;
      folder.metrics.append(line);
      spec.log?.(
        `best-of-${r.n}: proxy ${line['objective/scores']!.toFixed(4)}, KL analytic ${r.analyticKl.toFixed(3)}` +
          (r.measuredKl === null ? '' : `, measured ${r.measuredKl.toFixed(3)}`),
      );
      r.responses.forEach((tokens, p) => {
        samples.push(
          JSON.stringify({
            n: r.n,
            prompt_index: indices[p],
            score: r.scores[p],
            ...(spec.decode ? { response: spec.decode(tokens) } : { response_ids: tokens }),
          }),
        );
      });
    }
    writeFileAtomic(join(spec.runDir, SAMPLES_FILE), `${samples.join('\n')}\n`);
    folder.finish('done');
    return results;
  } catch (e) {
    folder.finish('failed', e instanceof Error ? e.message : String(e));
    throw e;
  }
}

/** Each prompt's chosen response for each n, in a best-of-n run folder. */
export const SAMPLES_FILE = 'samples.jsonl';

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
