/** Online RLHF configuration: every knob named, documented and defaulted (TRL-style). */
import { z } from 'zod';

const positive = z.number().positive();
const nonNegative = z.number().nonnegative();

export const RegularizerSchema = z
  .object({
    kind: z
      .enum(['kl', 'entropy', 'kl+entropy', 'none'])
      .default('kl')
      .describe(
        'kl: KL penalty to a frozen reference (KL-regularised RLHF); entropy: entropy bonus, no reference (Maximum-Entropy RLHF); none: neither',
      ),
    klCoef: positive.default(0.05).describe('β, weight of KL(π‖π_ref)'),
    klEstimator: z.enum(['k1', 'k2', 'k3']).default('k1').describe('per-token KL estimator (Schulman 2020)'),
    klPlacement: z
      .enum(['reward', 'loss'])
      .default('reward')
      .describe('subtract β·KL from the per-token reward, or add it to the loss'),
    entropyCoef: positive.default(0.01).describe('α, weight of the entropy bonus'),
    entropyEstimator: z
      .enum(['exact', 'sampled'])
      .default('sampled')
      .describe('exact: full next-token entropy; sampled: −log π of the sampled token'),
    entropyPlacement: z
      .enum(['reward', 'loss'])
      .default('reward')
      .describe('add α·H to the per-token reward, or −α·H to the loss'),
  })
  .strict();

export const OnlineTrainConfigSchema = z
  .object({
    algorithm: z.enum(['ppo', 'rloo', 'reinforce']).default('rloo').describe('policy-gradient algorithm'),
    steps: z.number().int().positive().default(100).describe('number of rollout/learn iterations'),
    promptsPerStep: z
      .number()
      .int()
      .positive()
      .default(16)
      .describe('prompts per rollout (each sampled k times for RLOO)'),
    lr: positive.default(3e-6).describe('peak learning rate'),
    schedule: z.enum(['constant', 'linear', 'cosine']).default('linear'),
    warmupSteps: z.number().int().nonnegative().default(0),
    weightDecay: nonNegative.default(0),
    maxGradNorm: positive
      .default(1)
      .describe('clip the global gradient norm (0 disables is not allowed: use a large value)'),
    temperature: positive
      .default(0.7)
      .describe('sampling temperature (log-probs are taken at the same temperature)'),
    maxNewTokens: z.number().int().positive().default(53).describe('response length limit'),
    missingEosPenalty: z
      .number()
      .nullable()
      .default(-1)
      .describe('score given to responses without EOS (null: no penalty)'),
    regularizer: RegularizerSchema.default(RegularizerSchema.parse({})),
    ppo: z
      .object({
        epochs: z.number().int().positive().default(4),
        minibatchSize: z.number().int().positive().default(8),
        clip: positive.default(0.2),
        valueClip: positive.default(0.2),
        valueCoef: positive.default(0.1),
        gamma: z.number().min(0).max(1).default(1),
        lambda: z.number().min(0).max(1).default(0.95),
        whitenRewards: z.boolean().default(false),
      })
      .strict()
      .default({
        epochs: 4,
        minibatchSize: 8,
        clip: 0.2,
        valueClip: 0.2,
        valueCoef: 0.1,
        gamma: 1,
        lambda: 0.95,
        whitenRewards: false,
      }),
    rloo: z
      .object({
        k: z.number().int().min(2).default(2),
        epochs: z.number().int().positive().default(1),
        minibatchSize: z.number().int().positive().default(64),
        clip: positive.default(0.2),
        whitenAdvantages: z.boolean().default(false),
      })
      .strict()
      .default({ k: 2, epochs: 1, minibatchSize: 64, clip: 0.2, whitenAdvantages: false }),
    evalEvery: z.number().int().nonnegative().default(10).describe('evaluate every N steps (0: never)'),
    klPrev: z
      .enum(['exact', 'sampled'])
      .default('exact')
      .describe('KL(π_t‖π_{t−1}): exact from full distributions, or importance-sampled'),
    seed: z.number().int().nonnegative().default(1),
    checkpointEvery: z.number().int().nonnegative().default(25),
    keepCheckpoints: z.number().int().positive().default(2),
    nonFinite: z
      .enum(['stop', 'skip'])
      .default('stop')
      .describe('on NaN/Inf: stop with a diagnostic, or skip the update'),
  })
  .strict();

export type OnlineTrainConfig = z.output<typeof OnlineTrainConfigSchema>;
export type RegularizerSpec = z.output<typeof RegularizerSchema>;
