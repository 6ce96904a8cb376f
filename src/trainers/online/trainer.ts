/**
 * The online RLHF loop, one iteration per step:
 *   1. sample responses from π_{t−1} for a batch of prompts (k per prompt for RLOO);
 *   2. score them: log π_{t−1}, exact entropy, reference log-probs (if any), the reward r(x, y);
 *   3. shape rewards with the regularizers (KL penalty β or entropy bonus α) and learn (PPO/RLOO/REINFORCE);
 *   4. measure KL(π_t‖π_ref) and KL(π_t‖π_{t−1}) on the same batch.
 * Logging, evaluation and checkpoints are the TrainingSession's. KL(π‖π_ref) is always measured when
 * a reference model is given, even in Maximum-Entropy runs.
 */
import { maskedMean } from '../../losses/index.ts';
import { samplingNoise } from '../../models/sampling/sampling-noise.ts';
import { dispose, Generator, noGrad, type Tensor, tidy } from '../../tensor/index.ts';
import { type CursorState, DataOrder } from '../common/data-order.ts';
import { onRunDevice } from '../common/device.ts';
import { meanMetrics } from '../common/metrics-log.ts';
import type { RunLabels } from '../common/run-dir.ts';
import { TrainingSession } from '../common/session.ts';
import { ppo } from './algorithms/ppo.ts';
import { reinforce, rloo } from './algorithms/rloo.ts';
import { microBatchLoss, microBatchParts, narrowRows, rewardInChunks, scoreInChunks } from './chunks.ts';
import { type OnlineTrainConfig, type RegularizerConfig, regularizerKind } from './config.ts';
import { exactTokenKl, nonScoreReward } from './regularizers.ts';
import type {
  Evaluator,
  OnlineAlgorithm,
  OnlinePolicy,
  PromptSource,
  RewardFunction,
  Rollout,
  TokenScores,
} from './types.ts';

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

export function makeAlgorithm(config: OnlineTrainConfig): OnlineAlgorithm {
  if (config.algorithm === 'ppo') return ppo(config.ppo);
  if (config.algorithm === 'rloo') return rloo(config.rloo);
  return reinforce(config.rloo);
}

export function trainOnline(spec: OnlineRunSpec): Promise<{ steps: number }> {
  const models = { policy: spec.policy.parameters(), reference: spec.reference?.parameters() };
  return onRunDevice(spec.config.device, models, (device) => train(spec, device));
}

async function train(spec: OnlineRunSpec, device: string): Promise<{ steps: number }> {
  const c = spec.config;
  const regularizers = c.regularizer;
  if (regularizers.kl && !spec.reference)
    throw new Error('regularizer.kl (the KL penalty) needs a reference model (reference: null was given)');
  const algorithm = makeAlgorithm(c);
  // Minibatch shuffles draw from this stream (checkpointed); sampling has keyed noise instead.
  const gen = new Generator(c.seed);
  const kind = regularizerKind(regularizers);
  const session = await TrainingSession.start<{ cursor: CursorState }>({
    runDir: spec.runDir,
    name: spec.name,
    kind: 'rl',
    config: c,
    device,
    params: spec.policy.parameters(),
    optimizer: c,
    totalSteps: c.steps,
    rngs: { sample: gen },
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
  });
  const order = new DataOrder(spec.prompts.count, c.seed, true, session.extra?.cursor);
  const evaluator = spec.evaluator;
  await session.run({
    step: (step, lr) => {
      const indices = order.next(c.promptsPerStep);
      const k = algorithm.samplesPerPrompt;
      const prompts = spec.prompts.batch(indices.flatMap((i) => Array<number>(k).fill(i)));
      // Row (prompt j, sample s) samples from its own key, whatever the batch it is decoded in.
      const keys = indices.flatMap((_, j) =>
        Array.from({ length: k }, (_, s) => ({ seed: c.seed, step, prompt: j, sample: s })),
      );
      const T = c.temperature;
      const exactPrev = c.klPrev === 'exact';

      // 1–2. Sample from π_{t−1} and score the rollout (no autograd).
      const { rollout, old, ref, scores } = noGrad(() => {
        const noise = samplingNoise(keys, c.maxNewTokens, prompts.ids.device);
        const rollout = spec.policy.sample(prompts, {
          noise,
          temperature: T,
          maxNewTokens: c.maxNewTokens,
          batchSize: c.rollout.generationBatchSize ?? undefined,
        });
        const chunk = c.rollout.scoreBatchSize;
        const old = scoreInChunks(rollout, chunk, (part) =>
          spec.policy.score(part, { temperature: T, values: algorithm.needsValues }),
        );
        const reference = spec.reference;
        const ref = reference
          ? scoreInChunks(rollout, chunk, (part) => reference.score(part, { temperature: T }))
          : null;
        const reward = rewardInChunks(rollout, chunk, spec.reward);
        const scores = penalizeMissingEos(reward, rollout.endedWithEos, c.missingEosPenalty);
        return { rollout, old, ref, scores };
      });

      // π_{t−1} itself, frozen, for the exact KL(π_t‖π_{t−1}) after the update: a copy of the
      // weights instead of full-vocabulary distributions for the whole batch.
      const previous = exactPrev ? snapshotOf(spec.policy) : null;

      // 3. The regularizers' per-token rewards, then the algorithm's updates.
      const nonScore = nonScoreReward(
        regularizers,
        old.logps,
        old.entropy,
        ref?.logps ?? null,
        rollout.responseMask,
      );
      const learned = algorithm.learn({
        policy: spec.policy,
        rollout,
        oldLogps: old.logps,
        oldValues: old.values ?? null,
        refLogps: ref?.logps ?? null,
        scores,
        nonScore,
        regularizers,
        temperature: T,
        gen,
        update: (rows, lossOf, weighting = 'tokens') => {
          const parts = microBatchParts(rollout, rows, c.microBatchSize, weighting);
          const out = session.applyMicroBatches(parts, microBatchLoss(rollout, lossOf), lr);
          dispose(parts.map((p) => p.part).filter((t) => t !== rows));
          return out;
        },
      });

      // 4. Measure, on the same rollout.
      const measured = measure(spec, rollout, old, ref, scores, nonScore, regularizers, previous);
      previous?.dispose();
      return { ...measured, ...meanMetrics(learned), lr, episode: step * rollout.responseIds.dim(0) };
    },
    evaluate: evaluator && (async (step) => withEvalPrefix(await evaluator(spec.policy, step))),
    evaluateAfter: (step) => c.evalEvery > 0 && (step % c.evalEvery === 0 || step === c.steps),
    evaluateAtStart: c.evalEvery > 0,
    state: () => ({ cursor: order.state }),
    onStep: spec.onStep,
    saveModel: async (dir) => {
      if (spec.policy.save) await spec.policy.save(dir);
    },
  });
  return { steps: session.step };
}

/** Applies the missing-EOS penalty: rows that did not end with EOS get `penalty` as score. */
function penalizeMissingEos(scores: Tensor, endedWithEos: Tensor, penalty: number | null): Tensor {
  if (penalty === null) return scores.clone();
  return tidy(() =>
    endedWithEos.to(scores.dtype).mul(scores).add(endedWithEos.logicalNot().to(scores.dtype).mul(penalty)),
  );
}

function withEvalPrefix(m: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k.includes('/') ? k : `eval/${k}`, v]));
}

/** TRL's objective/* metrics on the rollout, plus KL(π_t‖π_{t−1}) after the update. */
function measure(
  spec: OnlineRunSpec,
  rollout: Rollout,
  old: TokenScores,
  ref: TokenScores | null,
  scores: Tensor,
  nonScore: Tensor,
  regularizers: RegularizerConfig,
  previous: FrozenPolicy | null,
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
  const chunk = spec.config.rollout.scoreBatchSize;
  const temperature = spec.config.temperature;
  m['policy/kl_prev'] = noGrad(() => {
    if (previous) return exactKlPrev(spec.policy, previous, rollout, chunk, temperature);
    const now = scoreInChunks(rollout, chunk, (part) => spec.policy.score(part, { temperature }));
    const logRatio = now.logps.sub(old.logps);
    return perSeq(logRatio.exp().mul(logRatio));
  });
  return m;
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
