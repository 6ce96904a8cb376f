/**
 * One whole RLOO step (k = 2, KL k1 in the reward) on a pythia-70m-shaped policy with the real
 * vocabulary (50304), side by side with bench/online.py, a plain eager PyTorch script doing the same
 * step on the same safetensors weights (python3-torch, the same thread count and malloc policy).
 *
 * Ours is the online trainer's own step (src/trainers/online/trainer.ts) minus its bookkeeping
 * (metrics log, checkpoints, NaN guard, the post-update KL(π_t‖π_{t−1}) measurement), in phases:
 *   sample  LMPolicy.sample: 8 prompts × 2 samples, 64-token prompts, 32 new tokens, T = 0.7
 *   score   π_{t−1} (log-probs + exact entropy), π_ref, the reward model; KL-shaped rewards
 *   update  the RLOO algorithm's learn(): one minibatch of all 16 rows, clipped ratio, backward,
 *           global-norm clipping, AdamW (the session's optimizerStep without its run folder)
 * Both sides use the same keyed sampling noise every step, so their first rollouts should agree
 * token for token; the first step's policy loss is printed as a second check. Each side reports
 * the median of each phase over a few steps after a warm-up step; the rounds alternate between
 * the two processes (load on a shared machine drifts).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  countParameters,
  GPTNeoXForCausalLM,
  GPTNeoXRewardModel,
  initStateDict,
  namedConfig,
} from '../src/models/index.ts';
import { samplingNoise } from '../src/models/sampling/sampling-noise.ts';
import {
  AdamW,
  clipGradNorm,
  dispose,
  Generator,
  getNumThreads,
  keep,
  noGrad,
  onesLike,
  randint,
  type Tensor,
  tidy,
} from '../src/tensor/index.ts';
import { LMPolicy } from '../src/trainers/adapters/lm-policy.ts';
import { rewardFromModel } from '../src/trainers/adapters/reward-function.ts';
import { rloo } from '../src/trainers/online/algorithms/rloo.ts';
import { microBatchLoss } from '../src/trainers/online/chunks.ts';
import { type OnlineTrainConfig, OnlineTrainConfigSchema } from '../src/trainers/online/config.ts';
import { nonScoreReward } from '../src/trainers/online/regularizers.ts';
import { penalizeMissingEos } from '../src/trainers/online/rewards.ts';
import type { PromptBatch } from '../src/trainers/online/types.ts';
import { clippedEpochs } from '../src/trainers/online/update.ts';
import type { EngineResult } from './engine.ts';
import { PythonServer, RETAIN_FREED_MEMORY_ENV } from './model-python.ts';

export const ONLINE_BENCH = {
  model: 'pythia-70m',
  prompts: 8,
  k: 2,
  promptLen: 64,
  newTokens: 32,
  temperature: 0.7,
  klCoef: 0.05,
  /** Steps per round after the first round's warm-up step; each phase's median over all rounds. */
  stepsPerRound: 1,
  rounds: 2,
  seed: 1234,
};

type Phases = { sample: number; score: number; update: number };
const PHASES: (keyof Phases)[] = ['sample', 'score', 'update'];

/** The trainer config of the step: RLOO k = 2, β = 0.05 k1 in the reward, one minibatch of all rows. */
function stepConfig(): OnlineTrainConfig {
  const b = ONLINE_BENCH;
  return OnlineTrainConfigSchema.parse({
    algorithm: 'rloo',
    promptsPerStep: b.prompts,
    maxNewTokens: b.newTokens,
    temperature: b.temperature,
    // The random reward model's score stays in: without a penalty no response is overwritten by it.
    missingEosPenalty: null,
    regularizer: { kl: { coef: b.klCoef, estimator: 'k1', placement: 'reward' } },
    rloo: { k: b.k, minibatchSize: b.prompts * b.k },
    seed: b.seed,
  });
}

/** The online trainer's step, timed per phase (see the file comment for what is left out). */
class OurStep {
  private readonly opt: AdamW;
  private readonly params: Tensor[];
  private readonly algorithm;
  private readonly gen: Generator;
  firstLoss: number | null = null;
  firstReward: number | null = null;
  firstTokens: number[][] | null = null;

  constructor(
    private readonly c: OnlineTrainConfig,
    private readonly policy: LMPolicy,
    private readonly reference: LMPolicy,
    private readonly reward: (r: ReturnType<LMPolicy['sample']>) => Tensor,
    private readonly prompts: PromptBatch,
    private readonly noise: Tensor,
  ) {
    this.params = [...policy.parameters().values()];
    this.opt = new AdamW(this.params, { lr: c.lr, weightDecay: c.weightDecay });
    this.algorithm = rloo(c.rloo);
    this.gen = new Generator(c.seed);
  }

  step(): Phases {
    const c = this.c;
    const T = c.temperature;
    const clock = () => Number(process.hrtime.bigint()) / 1e9;
    const t0 = clock();
    const rollout = noGrad(() =>
      this.policy.sample(this.prompts, { noise: this.noise, temperature: T, maxNewTokens: c.maxNewTokens }),
    );
    const t1 = clock();
    const { old, ref, scores, nonScore } = noGrad(() => {
      const old = this.policy.score(rollout, { temperature: T });
      const ref = this.reference.score(rollout, { temperature: T });
      const reward = this.reward(rollout);
      const scores = penalizeMissingEos(reward, rollout.endedWithEos, c.missingEosPenalty);
      reward.dispose();
      const nonScore = nonScoreReward(c.regularizer, old.logps, old.entropy, ref.logps, rollout.responseMask);
      this.firstReward ??= scores.mean().item();
      return { old, ref, scores, nonScore };
    });
    const t2 = clock();
    const learned = clippedEpochs(this.algorithm, {
      policy: this.policy,
      rollout,
      oldLogps: old.logps,
      oldValues: null,
      critic: null,
      refLogps: ref.logps,
      scores,
      nonScore,
      regularizers: c.regularizer,
      temperature: T,
      maxNewTokens: c.maxNewTokens,
      gen: this.gen,
      update: (rows, lossOf) =>
        tidy(() => {
          const part = microBatchLoss(rollout, lossOf)(rows);
          this.opt.zeroGrad();
          part.loss.backward();
          clipGradNorm(this.params, c.maxGradNorm);
          this.opt.step(c.lr);
          this.opt.zeroGrad();
          return { applied: true, loss: part.loss.item(), metrics: part.metrics ?? {} };
        }),
    });
    const t3 = clock();
    this.firstLoss ??= learned[0]!['loss/policy_avg']!;
    if (!this.firstTokens) {
      const [rows, cols] = rollout.responseIds.shape as [number, number];
      const flat = rollout.responseIds.toArray();
      this.firstTokens = Array.from({ length: rows }, (_, r) => flat.slice(r * cols, (r + 1) * cols));
    }
    dispose([rollout.responseIds, rollout.responseMask, rollout.endedWithEos]);
    dispose([old.logps, old.entropy, ref.logps, ref.entropy, scores, nonScore]);
    return { sample: t1 - t0, score: t2 - t1, update: t3 - t2 };
  }

  dispose(): void {
    this.opt.zeroGrad();
    this.opt.dispose();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function toRows(t: Tensor): number[][] {
  const [rows, cols] = t.shape as [number, number];
  const flat = t.toArray();
  return Array.from({ length: rows }, (_, r) => flat.slice(r * cols, (r + 1) * cols));
}

export interface OnlineBenchOutput {
  rows: EngineResult[];
  notes: string[];
}

export async function runOnlineBench(): Promise<OnlineBenchOutput> {
  const b = ONLINE_BENCH;
  const c = stepConfig();
  const root = await mkdtemp(join(tmpdir(), 'maxent-bench-online-'));
  const config = namedConfig(b.model, 50304);
  const gen = new Generator(0);
  // Policy and reference start from the same weights (the reference is the SFT policy).
  const policyModel = new GPTNeoXForCausalLM(config, initStateDict(config, 'causal-lm', gen));
  const rewardModel = new GPTNeoXRewardModel(config, initStateDict(config, 'reward-model', gen));
  await policyModel.save(join(root, 'policy'));
  await rewardModel.save(join(root, 'reward'));
  const policy = new LMPolicy(policyModel.setTrainable(true));
  const reference = await LMPolicy.load(join(root, 'policy'), { trainable: false });
  const rows = b.prompts * b.k;
  // Prompt j sampled k times: rows j·k … j·k + k − 1, as the trainer lays them out. Tokens avoid EOS (0).
  const { promptIds, promptMask, noise } = tidy(() => {
    const unique = randint(1, config.vocabSize, [b.prompts, b.promptLen], gen);
    const ids = unique.repeatInterleave(b.k, 0);
    const keys = Array.from({ length: rows }, (_, r) => ({
      seed: b.seed,
      step: 0,
      prompt: Math.floor(r / b.k),
      sample: r % b.k,
    }));
    return {
      promptIds: keep(ids),
      promptMask: keep(onesLike(ids)),
      noise: keep(samplingNoise(keys, b.newTokens)),
    };
  });
  const prompts: PromptBatch = {
    ids: promptIds,
    mask: promptMask,
    index: Array.from({ length: rows }, (_, r) => Math.floor(r / b.k)),
  };
  const inputs = join(root, 'inputs.json');
  await writeFile(
    inputs,
    JSON.stringify({ prompt_ids: toRows(promptIds), prompt_mask: toRows(promptMask), noise: toRows(noise) }),
  );
  const ours = new OurStep(c, policy, reference, rewardFromModel(rewardModel), prompts, noise);
  const script = join(dirname(fileURLToPath(import.meta.url)), 'online.py');
  const retained = process.env.MAXENT_MALLOC !== 'system';
  const py = new PythonServer(
    script,
    {
      threads: getNumThreads(),
      policy: join(root, 'policy'),
      reward: join(root, 'reward'),
      inputs,
      k: b.k,
      temperature: c.temperature,
      kl_coef: b.klCoef,
      clip: c.rloo.clip,
      lr: c.lr,
      weight_decay: c.weightDecay,
      max_grad_norm: c.maxGradNorm,
    },
    { ...process.env, ...(retained ? RETAIN_FREED_MEMORY_ENV : {}) },
  );
  try {
    await py.read();
    const mine: Phases[] = [];
    const theirs: Phases[] = [];
    let pyFirst: { loss: number; reward: number; tokens: number[][] } | null = null;
    for (let r = 0; r < b.rounds; r++) {
      const warmup = r === 0 ? 1 : 0;
      const out = await py.call<{
        steps: Phases[];
        first_loss: number;
        first_reward: number;
        first_tokens: number[][];
      }>({
        op: 'steps',
        warmup,
        steps: b.stepsPerRound,
      });
      pyFirst ??= { loss: out.first_loss, reward: out.first_reward, tokens: out.first_tokens };
      theirs.push(...out.steps);
      for (let i = 0; i < warmup; i++) ours.step();
      for (let i = 0; i < b.stepsPerRound; i++) mine.push(ours.step());
    }
    const med = (xs: Phases[], k: keyof Phases) => median(xs.map((x) => x[k])) * 1e3;
    const total = (xs: Phases[]) => median(xs.map((x) => x.sample + x.score + x.update)) * 1e3;
    const shape = `${b.prompts}×${b.k} rows, ${b.promptLen}+${b.newTokens} tokens`;
    const result: EngineResult[] = PHASES.map((k) => ({
      name: `RLOO step ${b.model}: ${k}`,
      ours: med(mine, k),
      torch: med(theirs, k),
      unit: 'ms',
      speedup: med(theirs, k) / med(mine, k),
    }));
    result.push({
      name: `RLOO step ${b.model}: whole step (${shape})`,
      ours: total(mine),
      torch: total(theirs),
      unit: 'ms',
      speedup: total(theirs) / total(mine),
    });
    let same = 0;
    let all = 0;
    for (const [i, row] of (ours.firstTokens ?? []).entries())
      for (const [j, t] of row.entries()) {
        all += 1;
        if (pyFirst?.tokens[i]?.[j] === t) same += 1;
      }
    const notes = [
      `${b.model} shape, ${(countParameters(config) / 1e6).toFixed(1)}M parameters (vocab ${config.vocabSize}), ` +
        `policy + reference + reward model; k = ${b.k}, β = ${b.klCoef} (k1 in the reward), T = ${c.temperature}, ` +
        `medians of ${mine.length} steps per side after 1 warm-up step`,
      `first rollout's tokens equal to PyTorch's (same weights and noise) ${same}/${all}; ` +
        `first mean reward ours ${ours.firstReward?.toFixed(6)} vs PyTorch ${pyFirst?.reward.toFixed(6)}; ` +
        `first policy loss (≈ 0: the ratio is 1 and RLOO advantages sum to 0 per prompt) ours ` +
        `${ours.firstLoss?.toExponential(2)} vs PyTorch ${pyFirst?.loss.toExponential(2)}`,
    ];
    return { rows: result, notes };
  } finally {
    py.close();
    ours.dispose();
    policy.model.dispose();
    reference.model.dispose();
    rewardModel.dispose();
    dispose([promptIds, promptMask, noise]);
    await rm(root, { recursive: true, force: true });
  }
}
