/**
 * Online RLHF configuration: every knob named, documented and defaulted once (TRL-style); the types
 * are the schemas' outputs. The regularizer is the paper's choice between its two objectives:
 *   KL-regularised RLHF:  max E[r] − β·KL(π‖π_ref)   (regularizer.kl, needs a frozen reference)
 *   Maximum-Entropy RLHF: max E[r] + α·H(π)           (regularizer.entropy, reference-free)
 */
import { z } from 'zod';
import { MAX_EPOCHS, MAX_ROWS, MAX_SAMPLES_PER_PROMPT, MAX_STEPS, MAX_TOKENS } from '../../config/limits.ts';
import {
  checkpointEvery,
  evalEvery,
  keepCheckpoints,
  maxGradNorm,
  nonFinite,
  schedule,
  seed,
  warmupRatio,
  warmupSteps,
  weightDecay,
} from '../common/config-knobs.ts';
import { DeviceSchema, DtypeSchema, ReportToSchema } from '../common/device.ts';

const positive = z.number().positive();
const placement = z.enum(['reward', 'loss']);

export const KlPenaltySchema = z
  .object({
    coef: positive.default(0.05).describe('β, weight of KL(π‖π_ref)'),
    estimator: z.enum(['k1', 'k2', 'k3']).default('k1').describe('per-token KL estimator (Schulman 2020)'),
    placement: placement
      .default('reward')
      .describe('subtract β·KL from the per-token reward, or add it to the loss'),
    adaptive: z
      .object({
        target: positive
          .default(6)
          .describe('KL_target in nats per response (lm-human-preferences, TL;DR PPO: 6)'),
        horizon: positive
          .default(10000)
          .describe('episodes; β_{t+1} = β_t·(1 + clip(KL/target − 1, ±0.2)·episodes/horizon)'),
      })
      .strict()
      .nullable()
      .default(null)
      .describe(
        'adaptive β (Ziegler et al. 2019): coef is the initial β, updated after every step from the measured KL (logged as objective/kl_coef); null: β fixed',
      ),
  })
  .strict();

export const EntropyBonusSchema = z
  .object({
    coef: positive.default(0.01).describe('α, weight of the entropy bonus'),
    estimator: z
      .enum(['exact', 'sampled'])
      .default('sampled')
      .describe('exact: full next-token entropy; sampled: −log π of the sampled token'),
    placement: placement.default('reward').describe('add α·H to the per-token reward, or −α·H to the loss'),
  })
  .strict();

/** Keys of the flat regularizer form this schema replaced (`kind: kl+entropy`, `klCoef`, …). */
const FLAT_REGULARIZER_KEYS = new Set([
  'kind',
  'klCoef',
  'klEstimator',
  'klPlacement',
  'entropyCoef',
  'entropyEstimator',
  'entropyPlacement',
]);

export const RegularizerSchema = z.strictObject(
  {
    kl: KlPenaltySchema.nullable()
      .default(null)
      .describe('KL penalty to a frozen reference (KL-regularised RLHF); absent or null: none'),
    entropy: EntropyBonusSchema.nullable()
      .default(null)
      .describe('entropy bonus, no reference (Maximum-Entropy RLHF); absent or null: none'),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys' && issue.keys.some((k) => FLAT_REGULARIZER_KEYS.has(k))
        ? `${issue.keys.map((k) => `"${k}"`).join(', ')}: the flat form (kind, klCoef, entropyCoef, …) was replaced by ` +
          'one block per term: regularizer: { kl: { coef, estimator, placement }, entropy: { coef, estimator, placement } } ' +
          '(a block left out or null is off)'
        : undefined,
  },
);

/** The clipped-epochs update of every algorithm (update.ts): passes over a rollout and its minibatches. */
const epochs = (fallback: number) =>
  z
    .number()
    .int()
    .positive()
    .max(MAX_EPOCHS)
    .default(fallback)
    .describe('optimisation passes over each rollout batch');
const minibatchSize = (fallback: number) =>
  z
    .number()
    .int()
    .positive()
    .max(MAX_ROWS)
    .default(fallback)
    .describe('rollout rows (responses) per minibatch, one optimiser step each');

export const PpoSchema = z
  .object({
    epochs: epochs(4),
    minibatchSize: minibatchSize(8),
    clip: positive.default(0.2).describe('PPO policy-ratio clip ε'),
    valueClip: positive.default(0.2).describe('clip of the value update around the old values'),
    valueCoef: positive.default(0.1).describe('weight of the value loss'),
    gamma: z.number().min(0).max(1).default(1).describe('discount γ of GAE'),
    lambda: z.number().min(0).max(1).default(0.95).describe('λ of GAE'),
    whitenRewards: z
      .boolean()
      .default(false)
      .describe('whiten the shaped rewards per batch (advantages are always whitened)'),
    critic: z
      .enum(['policy-head', 'reward-model'])
      .default('policy-head')
      .describe(
        "policy-head: a value head on the policy's last hidden states (shares its body); reward-model: a separate critic initialised from the reward model, as the TL;DR PPO work does",
      ),
    scorePlacement: z
      .enum(['last-token', 'after-last-token'])
      .default('last-token')
      .describe(
        'where the sequence score enters the per-token rewards: on the last response token (TRL), or one position later, on the state after the whole response, as the TL;DR PPO work does (docs/estimators.md)',
      ),
  })
  .strict();

export const RlooSchema = z
  .object({
    k: z
      .number()
      .int()
      .min(2)
      .max(MAX_SAMPLES_PER_PROMPT)
      .default(2)
      .describe('samples per prompt; each is baselined by the mean reward of the other k − 1'),
    epochs: epochs(1),
    minibatchSize: minibatchSize(64),
    clip: positive
      .default(0.2)
      .describe(
        "clip ε of the token-level policy ratio (the ratio is 1 before a batch's first update, so it acts from the second minibatch or epoch on)",
      ),
    whitenAdvantages: z.boolean().default(false).describe('whiten the leave-one-out advantages per batch'),
    ratio: z
      .enum(['token', 'sequence'])
      .default('token')
      .describe(
        "token: a clipped ratio per token (this project's RLOO); sequence: one clipped ratio per response, as TRL's RLOO trainer has it",
      ),
  })
  .strict();

const clip = positive.default(0.2).describe('ε of the clipped ratio');

export const GrpoSchema = z
  .object({
    groupSize: z
      .number()
      .int()
      .min(2)
      .max(MAX_SAMPLES_PER_PROMPT)
      .default(8)
      .describe('G, responses sampled per prompt (the group the advantages are relative to)'),
    epochs: epochs(1),
    minibatchSize: minibatchSize(64),
    clip,
    scaleRewards: z
      .boolean()
      .default(true)
      .describe('divide by the group std (GRPO); false: only subtract the group mean (Dr. GRPO)'),
    lossAggregation: z
      .enum(['sequence-mean', 'token-mean', 'constant'])
      .default('sequence-mean')
      .describe(
        'sequence-mean: mean over each response, then over responses (GRPO); token-mean: over all tokens (DAPO); constant: sum / (responses · maxNewTokens) (Dr. GRPO)',
      ),
  })
  .strict();

export const ReinforcePlusPlusSchema = z
  .object({
    baseline: z
      .enum(['none', 'group-mean'])
      .default('none')
      .describe(
        'none: REINFORCE++; group-mean: REINFORCE++-baseline, each score minus the mean score of its prompt (needs samplesPerPrompt ≥ 2)',
      ),
    samplesPerPrompt: z
      .number()
      .int()
      .positive()
      .max(MAX_SAMPLES_PER_PROMPT)
      .default(1)
      .describe('responses sampled per prompt'),
    gamma: z.number().min(0).max(1).default(1).describe('discount of the per-token returns'),
    epochs: epochs(1),
    minibatchSize: minibatchSize(64),
    clip,
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.baseline === 'group-mean' && c.samplesPerPrompt < 2)
      ctx.addIssue({
        code: 'custom',
        path: ['samplesPerPrompt'],
        message: 'baseline "group-mean" needs samplesPerPrompt >= 2 (the mean of one sample is itself)',
      });
  });

/** The policy-gradient algorithms of src/trainers/online/algorithms, by config name. */
export const ONLINE_ALGORITHMS = ['ppo', 'rloo', 'reinforce', 'grpo', 'reinforce++'] as const;
export type OnlineAlgorithmName = (typeof ONLINE_ALGORITHMS)[number];

/** A memory knob: rows per pass, null for all of them at once (`whole` says what "all" is). */
const rowsPerPass = (what: string, whole = 'the whole batch') =>
  z
    .number()
    .int()
    .positive()
    .max(MAX_ROWS)
    .nullable()
    .default(null)
    .describe(`${what}; null: ${whole} at once`);

/** How many rows each pass over a rollout holds at once: memory knobs that never change the results. */
export const RolloutSchema = z
  .object({
    generationBatchSize: rowsPerPass(
      'rows sampled at once (the KV cache and next-token logits scale with it)',
    ),
    scoreBatchSize: rowsPerPass(
      'rows per no-grad scoring pass of the old policy, the reference, the reward model and the values',
    ),
  })
  .strict();

export const OnlineTrainConfigSchema = z
  .object({
    algorithm: z
      .enum(ONLINE_ALGORITHMS)
      .default('rloo')
      .describe(
        'policy-gradient algorithm (its block below: ppo, rloo (also reinforce), grpo, reinforcePlusPlus)',
      ),
    steps: z
      .number()
      .int()
      .positive()
      .max(MAX_STEPS)
      .default(100)
      .describe('number of rollout/learn iterations (ignored when epochs is set)'),
    epochs: z
      .number()
      .positive()
      .max(MAX_EPOCHS)
      .nullable()
      .default(null)
      .describe(
        "passes over the prompts (TRL's num_train_epochs); set: the run takes ⌈epochs·prompts/promptsPerStep⌉ steps instead of steps",
      ),
    promptsPerStep: z
      .number()
      .int()
      .positive()
      .max(MAX_ROWS)
      .default(16)
      .describe(
        'prompts per rollout (each sampled rloo.k times for RLOO, grpo.groupSize for GRPO, reinforcePlusPlus.samplesPerPrompt for REINFORCE++)',
      ),
    lr: positive.default(3e-6).describe('peak learning rate'),
    schedule: schedule('linear'),
    warmupSteps,
    warmupRatio,
    weightDecay,
    maxGradNorm,
    temperature: positive
      .default(0.7)
      .describe('sampling temperature (log-probs are taken at the same temperature)'),
    maxNewTokens: z.number().int().positive().max(MAX_TOKENS).default(53).describe('response length limit'),
    missingEosPenalty: z
      .number()
      .nullable()
      .default(-1)
      .describe('score given to responses without EOS (null: no penalty)'),
    regularizer: RegularizerSchema.prefault({ kl: {} }).describe(
      'absent: the KL penalty with its defaults; given: the blocks it lists are on (kl, entropy or both), the others off',
    ),
    ppo: PpoSchema.prefault({}),
    rloo: RlooSchema.prefault({}),
    grpo: GrpoSchema.prefault({}),
    reinforcePlusPlus: ReinforcePlusPlusSchema.prefault({}),
    rollout: RolloutSchema.prefault({}).describe('chunking of the rollout passes (memory only)'),
    microBatchSize: rowsPerPass(
      'rows per forward/backward pass of an update: each minibatch (every algorithm) is split into micro-batches whose gradients accumulate, token- or row-weighted as its loss is a mean over tokens or responses, into one step (memory only: the step is the same)',
      'the whole minibatch',
    ),
    evalEvery: evalEvery(10, 'never'),
    klPrev: z
      .enum(['exact', 'sampled'])
      .default('exact')
      .describe('KL(π_t‖π_{t−1}): exact from full distributions, or importance-sampled'),
    seed,
    device: DeviceSchema,
    dtype: DtypeSchema,
    checkpointEvery: checkpointEvery(25),
    keepCheckpoints,
    nonFinite,
    reportTo: ReportToSchema,
  })
  .strict();

export type OnlineTrainConfig = z.output<typeof OnlineTrainConfigSchema>;
export type RegularizerConfig = z.output<typeof RegularizerSchema>;
export type PpoConfig = z.output<typeof PpoSchema>;
export type RlooConfig = z.output<typeof RlooSchema>;
export type GrpoConfig = z.output<typeof GrpoSchema>;
export type ReinforcePlusPlusConfig = z.output<typeof ReinforcePlusPlusSchema>;
export type KlPenaltyConfig = z.output<typeof KlPenaltySchema>;
export type RolloutConfig = z.output<typeof RolloutSchema>;

/** The regularizer combinations by name, as sweeps, run labels and messages call them. */
export const REGULARIZER_KINDS = ['kl', 'entropy', 'kl+entropy', 'none'] as const;
export type RegularizerKind = (typeof REGULARIZER_KINDS)[number];

/** The name of a regularizer configuration: which of its two terms are on. */
export function regularizerKind(regularizer: RegularizerConfig): RegularizerKind {
  if (regularizer.kl && regularizer.entropy) return 'kl+entropy';
  return regularizer.kl ? 'kl' : regularizer.entropy ? 'entropy' : 'none';
}
