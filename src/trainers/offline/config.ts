/** Offline trainer configurations (SFT, reward model, preference optimisation), all defaulted. */
import { z } from 'zod';

const positive = z.number().positive();

/** Optimisation knobs shared by every offline trainer. */
export const OptimSchema = z
  .object({
    lr: positive.default(3e-6).describe('peak learning rate (3e-6 in the TL;DR work for SFT, RM and DPO)'),
    schedule: z.enum(['constant', 'linear', 'cosine']).default('cosine'),
    warmupSteps: z.number().int().nonnegative().default(0),
    weightDecay: z.number().nonnegative().default(0),
    maxGradNorm: positive.default(1),
  })
  .strict();

const common = {
  model: z
    .string()
    .min(1)
    .describe('HF snapshot folder to start from (config.json, *.safetensors, tokenizer.json)'),
  out: z.string().min(1).describe('run folder (created; resumed if it holds a checkpoint)'),
  data: z
    .object({
      train: z.string().min(1).describe('training file (.jsonl, .json or .parquet)'),
      eval: z
        .string()
        .min(1)
        .optional()
        .describe('held-out file; if absent, evalFraction of train is held out'),
      evalFraction: z.number().min(0).max(0.5).default(0.05),
      onBadRow: z.enum(['fail', 'skip']).default('fail'),
      limit: z.number().int().positive().optional().describe('use at most this many training rows'),
    })
    .strict(),
  maxPromptTokens: z.number().int().positive().default(512),
  maxTotalTokens: z.number().int().positive().default(562),
  steps: z.number().int().positive().default(200).describe('optimizer steps'),
  batchSize: z.number().int().positive().default(8).describe('examples per micro-batch'),
  gradAccum: z.number().int().positive().default(1).describe('micro-batches per optimizer step'),
  optim: OptimSchema.default(OptimSchema.parse({})),
  evalEvery: z
    .number()
    .int()
    .nonnegative()
    .default(50)
    .describe('evaluate every N steps (0: only at the end)'),
  evalBatches: z.number().int().positive().default(8),
  checkpointEvery: z.number().int().nonnegative().default(50),
  keepCheckpoints: z.number().int().positive().default(2),
  seed: z.number().int().nonnegative().default(1),
  dtype: z.enum(['float32', 'bfloat16']).default('float32'),
  nonFinite: z.enum(['stop', 'skip']).default('stop'),
};

/** maxPromptTokens < maxTotalTokens, reported at the key path (a config error, not a training-time one). */
function tokenBudget(c: { maxPromptTokens: number; maxTotalTokens: number }, ctx: z.RefinementCtx): void {
  if (c.maxPromptTokens >= c.maxTotalTokens)
    ctx.addIssue({
      code: 'custom',
      path: ['maxPromptTokens'],
      message: `must be smaller than maxTotalTokens (${c.maxTotalTokens}), got ${c.maxPromptTokens}: no room is left for the response`,
    });
}

export const SftConfigSchema = z
  .object({ ...common })
  .strict()
  .superRefine(tokenBudget);

export const RewardModelConfigSchema = z
  .object({
    ...common,
    centerRewardsCoef: z
      .number()
      .nonnegative()
      .default(0)
      .describe('η·(r_w + r_l)² penalty (Eisenstein et al. 2023)'),
  })
  .strict()
  .superRefine(tokenBudget);

export const PreferenceConfigSchema = z
  .object({
    ...common,
    loss: z.enum(['dpo', 'cdpo', 'robust', 'ipo', 'hinge', 'simpo', 'cpo', 'orpo']).default('dpo'),
    reference: z
      .string()
      .optional()
      .describe('reference snapshot for reference-based losses (default: model)'),
    beta: positive.default(0.05).describe('β (DPO 0.05 as in the TL;DR work; SimPO default 2.0)'),
    gamma: z
      .number()
      .nonnegative()
      .default(0.5)
      .describe('SimPO target margin γ (SimPO: β·gamma_beta_ratio, 2.0·0.25)'),
    labelSmoothing: z.number().min(0).max(0.49).default(0).describe('ε for cDPO / robust / SimPO'),
    nllWeight: z.number().nonnegative().default(1).describe('λ: CPO NLL weight / ORPO odds-ratio weight'),
  })
  .strict()
  .superRefine(tokenBudget);

export type SftConfig = z.output<typeof SftConfigSchema>;
export type RewardModelConfig = z.output<typeof RewardModelConfigSchema>;
export type PreferenceConfig = z.output<typeof PreferenceConfigSchema>;
export type OptimConfig = z.output<typeof OptimSchema>;
