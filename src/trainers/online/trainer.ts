/**
 * The online RLHF loop, one iteration per step:
 *   1. sample responses from π_{t−1} for a batch of prompts (k per prompt for RLOO);
 *   2. score them: log π_{t−1}, exact entropy, reference log-probs (if any), the reward r(x, y);
 *   3. shape rewards with the regularizers (KL penalty β or entropy bonus α) and learn (PPO/RLOO/REINFORCE);
 *   4. measure KL(π_t‖π_ref) and KL(π_t‖π_{t−1}) on the same batch, log, evaluate, checkpoint.
 * KL(π‖π_ref) is always measured when a reference model is given, even in Maximum-Entropy runs.
 */
import { maskedMean } from '../../losses/index.ts';
import {
  AdamW,
  Generator,
  type Tensor,
  clipGradNorm,
  learningRateAt,
  noGrad,
  tidy,
} from '../../tensor/index.ts';
import { DataOrder, type CursorState } from '../common/data-order.ts';
import type { RunLabels } from '../common/run-dir.ts';
import { TrainingSession } from '../common/session.ts';
import { ppo } from './algorithms/ppo.ts';
import { reinforce, rloo } from './algorithms/rloo.ts';
import type { OnlineAlgorithm } from './algorithms/types.ts';
import type { OnlineTrainConfig, RegularizerSpec } from './config.ts';
import { type RegularizerConfig, exactTokenKl, nonScoreReward } from './regularizers.ts';
import { penalizeMissingEos } from './rollout-ops.ts';
import type { Evaluator, OnlinePolicy, PromptBatch, RewardFunction, TokenScores } from './types.ts';

export interface PromptSource {
  count: number;
  /** Builds the left-padded batch for these dataset indices. */
  batch(indices: number[]): PromptBatch;
}

export interface OnlineRunSpec {
  runDir: string;
  name: string;
  labels?: RunLabels;
  config: OnlineTrainConfig;
  policy: OnlinePolicy;
  /** Frozen reference π_ref: required by the KL penalty; optional (measurement only) otherwise. */
  reference: OnlinePolicy | null;
  reward: RewardFunction;
  prompts: PromptSource;
  evaluator?: Evaluator;
  resume?: boolean | 'auto';
  log?: (msg: string) => void;
  onStep?: (step: number, metrics: Record<string, number>) => void;
}

export function regularizerConfig(r: RegularizerSpec): RegularizerConfig {
  const kl = r.kind === 'kl' || r.kind === 'kl+entropy';
  const ent = r.kind === 'entropy' || r.kind === 'kl+entropy';
  return {
    kl: kl ? { coef: r.klCoef, estimator: r.klEstimator, placement: r.klPlacement } : null,
    entropy: ent
      ? { coef: r.entropyCoef, estimator: r.entropyEstimator, placement: r.entropyPlacement }
      : null,
  };
}

export function makeAlgorithm(c: OnlineTrainConfig): OnlineAlgorithm {
  if (c.algorithm === 'ppo') return ppo(c.ppo);
  if (c.algorithm === 'rloo') return rloo(c.rloo);
  return reinforce(c.rloo);
}

export async function trainOnline(spec: OnlineRunSpec): Promise<{ steps: number }> {
  const c = spec.config;
  const reg = regularizerConfig(c.regularizer);
  if (reg.kl && !spec.reference)
    throw new Error('regularizer.kind "kl" needs a reference model (reference: null was given)');
  const algorithm = makeAlgorithm(c);
  const params = spec.policy.parameters();
  const optimizer = new AdamW([...params.values()], { lr: c.lr, weightDecay: c.weightDecay });
  const gen = new Generator(c.seed);
  const session = await TrainingSession.start<{ cursor: CursorState }>({
    runDir: spec.runDir,
    name: spec.name,
    kind: 'rl',
    config: c,
    params,
    optimizer,
    rngs: { sample: gen },
    labels: {
      algorithm: c.algorithm,
      regularizer: reg.kl ? 'kl' : reg.entropy ? 'entropy' : 'none',
      coef: reg.kl ? reg.kl.coef : (reg.entropy?.coef ?? 0),
      lr: c.lr,
      seed: c.seed,
      ...spec.labels,
    },
    checkpointEvery: c.checkpointEvery,
    keepCheckpoints: c.keepCheckpoints,
    resume: spec.resume ?? 'auto',
    nonFinite: c.nonFinite,
    log: spec.log,
  });
  const order = new DataOrder(spec.prompts.count, c.seed, true, session.extra?.cursor);
  const schedule = { kind: c.schedule, lr: c.lr, warmupSteps: c.warmupSteps, totalSteps: c.steps };
  try {
    if (session.step === 0 && spec.evaluator && c.evalEvery > 0)
      session.logMetrics(prefixed(await spec.evaluator(spec.policy, 0)), 0);
    while (session.step < c.steps) {
      const step = session.step + 1;
      const lr = learningRateAt(step - 1, schedule);
      const metrics = tidy(() =>
        iteration(spec, algorithm, reg, order.next(c.promptsPerStep), lr, gen, optimizer, session),
      );
      if (spec.evaluator && c.evalEvery > 0 && (step % c.evalEvery === 0 || step === c.steps)) {
        Object.assign(metrics, prefixed(await spec.evaluator(spec.policy, step)));
      }
      session.logMetrics(metrics, step);
      spec.onStep?.(step, metrics);
      await session.completeStep({ cursor: order.state }, step === c.steps);
    }
    if (spec.policy.save) await spec.policy.save(session.run.modelDir);
    session.finish();
  } catch (e) {
    session.fail(e);
    throw e;
  } finally {
    optimizer.dispose();
  }
  return { steps: session.step };
}

function prefixed(m: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k.includes('/') ? k : `eval/${k}`, v]));
}

function iteration(
  spec: OnlineRunSpec,
  algorithm: OnlineAlgorithm,
  reg: RegularizerConfig,
  indices: number[],
  lr: number,
  gen: Generator,
  optimizer: AdamW,
  session: TrainingSession<{ cursor: CursorState }>,
): Record<string, number> {
  const c = spec.config;
  const k = algorithm.samplesPerPrompt;
  const prompts = spec.prompts.batch(indices.flatMap((i) => Array<number>(k).fill(i)));
  const T = c.temperature;
  const exactPrev = c.klPrev === 'exact';
  const { rollout, old, ref, scores } = noGrad(() => {
    const rollout = spec.policy.sample(prompts, { gen, temperature: T, maxNewTokens: c.maxNewTokens });
    const old = spec.policy.score(rollout, {
      temperature: T,
      full: exactPrev,
      values: algorithm.needsValues,
    });
    const ref = spec.reference ? spec.reference.score(rollout, { temperature: T }) : null;
    const scores = penalizeMissingEos(spec.reward(rollout), rollout.endedWithEos, c.missingEosPenalty);
    return { rollout, old, ref, scores };
  });
  const mask = rollout.responseMask;
  const nonScore = nonScoreReward(reg, old.logps, old.entropy, ref?.logps ?? null, mask);
  const learned = algorithm.learn({
    policy: spec.policy,
    rollout,
    oldLogps: old.logps,
    oldValues: old.values ?? null,
    refLogps: ref?.logps ?? null,
    scores,
    nonScore,
    regularizers: reg,
    temperature: T,
    gen,
    update: (loss) => {
      optimizer.zeroGrad();
      loss.backward();
      const gradNorm = clipGradNorm(optimizer.params, c.maxGradNorm);
      if (!session.guard({ loss: loss.item(), 'gradient norm': gradNorm })) {
        optimizer.zeroGrad();
        return false;
      }
      optimizer.step(lr);
      return true;
    },
  });
  const episode = (session.step + 1) * rollout.responseIds.dim(0);
  return { ...measure(spec, rollout, old, ref, scores, nonScore, reg, exactPrev), ...learned, lr, episode };
}

/** TRL's objective/* metrics on the rollout, plus KL(π_t‖π_{t−1}) after the update. */
function measure(
  spec: OnlineRunSpec,
  rollout: ReturnType<OnlinePolicy['sample']>,
  old: TokenScores,
  ref: TokenScores | null,
  scores: Tensor,
  nonScore: Tensor,
  reg: RegularizerConfig,
  exactPrev: boolean,
): Record<string, number> {
  const mask = rollout.responseMask;
  const perSeq = (x: Tensor) => x.mul(mask).sum(1).mean().item();
  const entropy = perSeq(old.logps.neg());
  const nonScoreSum = perSeq(nonScore);
  const m: Record<string, number> = {
    'objective/scores': scores.mean().item(),
    'objective/non_score_reward': nonScoreSum,
    'objective/rlhf_reward': scores.mean().item() + nonScoreSum,
    'objective/entropy': entropy,
    'objective/entropy_exact': maskedMean(old.entropy, mask).item(),
    'response/length_mean': mask.sum(1).mean().item(),
    'response/eos_rate': rollout.endedWithEos.to('float32').mean().item(),
  };
  if (reg.entropy) m['objective/entropy_bonus'] = reg.entropy.coef * entropy;
  if (ref) m['objective/kl'] = perSeq(old.logps.sub(ref.logps));
  m['policy/kl_prev'] = noGrad(() => {
    const now = spec.policy.score(rollout, { temperature: spec.config.temperature, full: exactPrev });
    if (exactPrev && now.fullLogps && old.fullLogps)
      return perSeq(exactTokenKl(now.fullLogps, old.fullLogps));
    const logRatio = now.logps.sub(old.logps);
    return perSeq(logRatio.exp().mul(logRatio));
  });
  return m;
}
