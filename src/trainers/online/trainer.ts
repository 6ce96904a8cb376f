/**
 * The online RLHF loop, one iteration per step:
 *   1. sample responses from π_{t−1} for a batch of prompts (k per prompt for RLOO, G for GRPO);
 *   2. score them: log π_{t−1}, exact entropy, reference log-probs (if any), values (PPO), r(x, y)
 *      — steps 1–2 are the rollout collector (rollout.ts);
 *   3. shape rewards with the regularizers (KL penalty β or entropy bonus α), then learn: the
 *      algorithm's advantage estimator and loss in the clipped-epochs skeleton (update.ts);
 *   4. measure KL(π_t‖π_ref) and KL(π_t‖π_{t−1}) on the same batch; with an adaptive KL
 *      controller, update β from the measured KL (Ziegler et al. 2019).
 * Logging, evaluation and checkpoints are the TrainingSession's. KL(π‖π_ref) is always measured when
 * a reference model is given, even in Maximum-Entropy runs.
 *
 * Data parallelism (`group`) stays at the edges: the collector gathers every rank's share of the
 * rollout, the update splits each minibatch's rows over the ranks, and KL(π_t‖π_{t−1}) is averaged
 * over the ranks' shares (data-parallel.ts). Evaluation runs on rank 0.
 */
import { join } from 'node:path';
import type { ProcessGroup } from '../../distributed/index.ts';
import { maskedMean } from '../../losses/index.ts';
import { meanMetrics } from '../../runs/metrics-log.ts';
import type { RunLabels } from '../../runs/run-dir.ts';
import { Generator, noGrad, type Tensor, tidy } from '../../tensor/index.ts';
import { type CursorState, DataOrder } from '../common/data-order.ts';
import { DataParallel } from '../common/data-parallel.ts';
import { onRunDevice } from '../common/device.ts';
import { TrainingSession } from '../common/session.ts';
import { trainingSteps } from '../common/training-length.ts';
import { grpo } from './algorithms/grpo.ts';
import { ppo } from './algorithms/ppo.ts';
import { reinforcePlusPlus } from './algorithms/reinforce-pp.ts';
import { reinforce, rloo } from './algorithms/rloo.ts';
import { narrowRows, scoreInChunks } from './chunks.ts';
import { type OnlineTrainConfig, type RegularizerConfig, regularizerKind } from './config.ts';
import { minibatchUpdate } from './data-parallel.ts';
import { KlCoefficient } from './kl-controller.ts';
import { exactTokenKl, nonScoreReward } from './regularizers.ts';
import { RolloutCollector } from './rollout.ts';
import type {
  Evaluator,
  OnlineAlgorithm,
  OnlinePolicy,
  PromptSource,
  RewardFunction,
  Rollout,
  TokenScores,
  UpdateResult,
  ValueModel,
} from './types.ts';
import { clippedEpochs } from './update.ts';

export interface OnlineRunSpec {
  runDir: string;
  name: string;
  labels?: RunLabels;
  config: OnlineTrainConfig;
  policy: OnlinePolicy;
  /** Frozen reference π_ref: required by the KL penalty; optional (measurement only) otherwise. */
  reference: OnlinePolicy | null;
  reward: RewardFunction;
  /** PPO's separate critic (`ppo.critic: reward-model`), e.g. RewardModelCritic; else none. */
  critic?: ValueModel | null;
  prompts: PromptSource;
  evaluator?: Evaluator;
  resume?: boolean | 'auto';
  log?: (msg: string) => void;
  onStep?: (step: number, metrics: Record<string, number>, totalSteps: number) => void;
  /** Data-parallel ranks sharing the run (default: this process alone). */
  group?: ProcessGroup;
}

export function makeAlgorithm(config: OnlineTrainConfig): OnlineAlgorithm {
  switch (config.algorithm) {
    case 'ppo':
      return ppo(config.ppo);
    case 'rloo':
      return rloo(config.rloo);
    case 'reinforce':
      return reinforce(config.rloo);
    case 'grpo':
      return grpo(config.grpo);
    case 'reinforce++':
      return reinforcePlusPlus(config.reinforcePlusPlus);
  }
}

/** The separate critic the config asks for, checked against the one given. */
function criticOf(spec: OnlineRunSpec): ValueModel | null {
  const c = spec.config;
  const wanted = c.algorithm === 'ppo' && c.ppo.critic === 'reward-model';
  if (wanted && !spec.critic)
    throw new Error(
      'ppo.critic "reward-model" needs a critic (OnlineRunSpec.critic, e.g. RewardModelCritic)',
    );
  if (!wanted && spec.critic)
    throw new Error(
      `a critic was given but is unused: only algorithm "ppo" with ppo.critic "reward-model" trains one (algorithm "${c.algorithm}")`,
    );
  return spec.critic ?? null;
}

export function trainOnline(spec: OnlineRunSpec): Promise<{ steps: number }> {
  const models = {
    policy: spec.policy.parameters(),
    reference: spec.reference?.parameters(),
    critic: spec.critic?.parameters(),
  };
  return onRunDevice(spec.config.device, models, (device) => train(spec, device));
}

async function train(spec: OnlineRunSpec, device: string): Promise<{ steps: number }> {
  const c = spec.config;
  const dp = new DataParallel(spec.group);
  dp.requireShare(c.promptsPerStep, 'promptsPerStep');
  const regularizers = c.regularizer;
  if (regularizers.kl && !spec.reference)
    throw new Error('regularizer.kl (the KL penalty) needs a reference model (reference: null was given)');
  const algorithm = makeAlgorithm(c);
  const critic = criticOf(spec);
  const collector = new RolloutCollector({ ...spec, critic }, c, algorithm, dp);
  // Minibatch shuffles draw from this stream (checkpointed); sampling has keyed noise instead.
  const gen = new Generator(c.seed);
  const kind = regularizerKind(regularizers);
  const params = spec.policy.parameters();
  for (const [name, p] of critic?.parameters() ?? []) {
    if (params.has(name)) throw new Error(`critic parameter ${name} collides with a policy parameter`);
    params.set(name, p);
  }
  const totalSteps = trainingSteps(c, spec.prompts.count, c.promptsPerStep);
  const session = await TrainingSession.start<{ cursor: CursorState; klCoef?: number }>({
    runDir: spec.runDir,
    name: spec.name,
    kind: 'rl',
    config: c,
    device,
    params,
    optimizer: c,
    totalSteps,
    rngs: { sample: gen, ...spec.policy.rngs?.() },
    labels: {
      algorithm: c.algorithm,
      regularizer: kind === 'kl+entropy' ? 'kl' : kind,
      coef: regularizers.kl?.coef ?? regularizers.entropy?.coef ?? 0,
      lr: c.lr,
      seed: c.seed,
      ...spec.labels,
    },
    checkpointEvery: c.checkpointEvery,
    keepCheckpoints: c.keepCheckpoints,
    resume: spec.resume ?? 'auto',
    nonFinite: c.nonFinite,
    log: spec.log,
    dataParallel: dp,
    reportTo: c.reportTo,
  });
  const order = new DataOrder(spec.prompts.count, c.seed, true, session.extra?.cursor);
  // β: fixed, or the adaptive controller's current value (restored on resume).
  const klCoef = regularizers.kl
    ? new KlCoefficient(session.extra?.klCoef ?? regularizers.kl.coef, regularizers.kl.adaptive)
    : null;
  const evaluator = spec.evaluator;
  await session.run({
    step: (step, lr) => {
      const stepRegularizers: RegularizerConfig =
        regularizers.kl && klCoef
          ? { ...regularizers, kl: { ...regularizers.kl, coef: klCoef.value } }
          : regularizers;

      // 1–2. Sample from π_{t−1} and score the rollout (no autograd); every rank gets all of it.
      const collected = collector.collect(step, order.next(c.promptsPerStep));
      const { rollout, old, ref, scores } = collected.whole;

      // π_{t−1} itself, frozen, for the exact KL(π_t‖π_{t−1}) after the update: a copy of the
      // weights instead of full-vocabulary distributions for the whole batch.
      const previous = c.klPrev === 'exact' ? snapshotOf(spec.policy) : null;

      // 3. The regularizers' per-token rewards, then the algorithm's updates.
      const nonScore = nonScoreReward(
        stepRegularizers,
        old.logps,
        old.entropy,
        ref?.logps ?? null,
        rollout.responseMask,
      );
      // A non-finite rollout stops the run, or ('skip') its updates are not applied (every rank agrees).
      const finite = rolloutFinite(session, rollout, old, ref, scores, nonScore);
      const learned = clippedEpochs(algorithm, {
        policy: spec.policy,
        rollout,
        oldLogps: old.logps,
        oldValues: old.values ?? null,
        critic,
        refLogps: ref?.logps ?? null,
        scores,
        nonScore,
        regularizers: stepRegularizers,
        temperature: c.temperature,
        maxNewTokens: c.maxNewTokens,
        gen,
        update: finite ? minibatchUpdate(dp, session, rollout, c.microBatchSize, lr) : skippedUpdate,
      });

      // 4. Measure, on the same rollout; KL(π_t‖π_{t−1}) on each rank's share, weighted by its rows.
      const measured = measure(rollout, old, ref, scores, nonScore, stepRegularizers);
      const klPrev = klPrevOf(spec, collected.local.rollout, collected.local.old, previous);
      previous?.dispose();
      measured['policy/kl_prev'] = dp.distributed
        ? dp.combine([{ metrics: { klPrev }, share: collected.share }]).klPrev!
        : klPrev;
      // An update that made the policy non-finite stops the run.
      if (finite) session.checkFinite({ 'policy/kl_prev': measured['policy/kl_prev'] }, { canSkip: false });
      if (klCoef) {
        measured['objective/kl_coef'] = klCoef.value;
        klCoef.update(measured['objective/kl']!, rollout.responseIds.dim(0));
      }
      return { ...measured, ...meanMetrics(learned), lr, episode: step * rollout.responseIds.dim(0) };
    },
    // On rank 0 alone: the others wait for it at the next step's first collective.
    evaluate:
      evaluator && (async (step) => (dp.isMain ? withEvalPrefix(await evaluator(spec.policy, step)) : {})),
    evaluateAfter: (step) => c.evalEvery > 0 && (step % c.evalEvery === 0 || step === totalSteps),
    evaluateAtStart: c.evalEvery > 0,
    state: () => ({ cursor: order.state, ...(klCoef ? { klCoef: klCoef.value } : {}) }),
    onStep: spec.onStep,
    saveModel: async (dir) => {
      if (spec.policy.save) await spec.policy.save(dir);
      if (critic?.save) await critic.save(join(dir, 'critic'));
    },
  });
  return { steps: session.step };
}

/** The update of a step whose rollout was not finite under `nonFinite: skip`: nothing is computed. */
const skippedUpdate = (): UpdateResult => ({ applied: false, loss: Number.NaN, metrics: {} });

/** Where a non-finite reward comes from: the reward function, not the optimizer. */
const REWARD_HINT =
  'The reward function returned them: check the reward model and its inputs, or set nonFinite: skip to skip such steps.';

/** Checks a rollout's rewards, then the policy's and the reference's per-token scores on it. */
function rolloutFinite(
  session: TrainingSession<{ cursor: CursorState }>,
  rollout: Rollout,
  old: TokenScores,
  ref: TokenScores | null,
  scores: Tensor,
  nonScore: Tensor,
): boolean {
  const mask = rollout.responseMask;
  return (
    session.checkFinite({ 'rollout scores': { tensor: scores } }, { hint: REWARD_HINT }) &&
    session.checkFinite({
      'rollout log-probs': { tensor: old.logps, mask },
      'rollout entropy': { tensor: old.entropy, mask },
      'rollout values': old.values ? { tensor: old.values, mask } : null,
      'reference log-probs': ref ? { tensor: ref.logps, mask } : null,
      'regularizer rewards': { tensor: nonScore, mask },
    })
  );
}

function withEvalPrefix(m: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k.includes('/') ? k : `eval/${k}`, v]));
}

/** TRL's objective/* metrics on the rollout. */
function measure(
  rollout: Rollout,
  old: TokenScores,
  ref: TokenScores | null,
  scores: Tensor,
  nonScore: Tensor,
  regularizers: RegularizerConfig,
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
  if (regularizers.entropy) m['objective/entropy_bonus'] = regularizers.entropy.coef * entropy;
  if (ref) m['objective/kl'] = perSeq(old.logps.sub(ref.logps));
  return m;
}

/** KL(π_t‖π_{t−1}) per sequence, averaged over the rollout's rows: exact, or importance-sampled. */
function klPrevOf(
  spec: OnlineRunSpec,
  rollout: Rollout,
  old: TokenScores,
  previous: FrozenPolicy | null,
): number {
  const chunk = spec.config.rollout.scoreBatchSize;
  const temperature = spec.config.temperature;
  return noGrad(() => {
    if (previous) return exactKlPrev(spec.policy, previous, rollout, chunk, temperature);
    const mask = rollout.responseMask;
    const now = scoreInChunks(rollout, chunk, (part) => spec.policy.score(part, { temperature }));
    const logRatio = now.logps.sub(old.logps);
    return logRatio.exp().mul(logRatio).mul(mask).sum(1).mean().item();
  });
}

type FrozenPolicy = ReturnType<NonNullable<OnlinePolicy['snapshot']>>;

function snapshotOf(policy: OnlinePolicy): FrozenPolicy {
  if (!policy.snapshot)
    throw new Error(
      'klPrev: exact needs a policy that can snapshot itself (OnlinePolicy.snapshot); use klPrev: sampled',
    );
  return policy.snapshot();
}

/**
 * Exact KL(π_t‖π_{t−1}) per sequence, Σ_t Σ_v π_t log(π_t/π_{t−1}) averaged over rows, one chunk of
 * rows at a time: only a chunk's full-vocabulary distributions exist at once.
 */
function exactKlPrev(
  policy: OnlinePolicy,
  previous: OnlinePolicy,
  rollout: Rollout,
  chunk: number | null,
  temperature: number,
): number {
  const rows = rollout.responseMask.dim(0);
  const size = chunk ?? rows;
  let total = 0;
  for (let start = 0; start < rows; start += size) {
    const part = narrowRows(rollout, start, Math.min(size, rows - start));
    total += tidy(() => {
      const now = policy.score(part, { temperature, full: true });
      const before = previous.score(part, { temperature, full: true });
      return exactTokenKl(now.fullLogps!, before.fullLogps!).mul(part.responseMask).sum().item();
    });
  }
  return total / rows;
}
