/**
 * Offline trainer configurations (SFT, reward model, preference optimisation): every knob named,
 * documented and defaulted once; the types are the schemas' outputs.
 */
import { z } from 'zod';
import { MAX_EPOCHS, MAX_ROWS, MAX_STEPS, MAX_TOKENS } from '../../config/limits.ts';
import { PREFERENCE_LOSSES, type PreferenceLossName, REFERENCE_LOSSES } from '../../losses/index.ts';
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

/** A data spec: a file, a folder of shards, a glob, or a list of them (src/data/data-files.ts). */
export const DataFilesSchema = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

/** Field renaming: which column holds each part of an example (defaults: docs/configs.md, "Data"). */
export const DataFieldsSchema = z
  .object({
    prompt: z.string().min(1).optional().describe('column of the prompt (default: prompt, then query)'),
    completion: z
      .string()
      .min(1)
      .optional()
      .describe('column of the SFT completion (default: completion, then reference_response)'),
    chosen: z.string().min(1).optional().describe('column of the preferred response (default: chosen)'),
    rejected: z.string().min(1).optional().describe('column of the other response (default: rejected)'),
  })
  .strict()
  .optional()
  .describe(
    'column names for prompt, completion, chosen, rejected when the data names them otherwise, e.g. { prompt: question, completion: answer }',
  );

/** Optimisation knobs shared by every offline trainer. */
export const OptimSchema = z
  .object({
    lr: positive.default(3e-6).describe('peak learning rate (3e-6 in the TL;DR work for SFT, RM and DPO)'),
    schedule: schedule('cosine'),
    warmupSteps,
    warmupRatio,
    weightDecay,
    maxGradNorm,
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
      train: DataFilesSchema.describe(
        'training data (.jsonl, .json or .parquet): a file, a folder of shards, a glob (data/train-*.parquet) or a list of them',
      ),
      eval: DataFilesSchema.optional().describe(
        'held-out data (as train); if absent, evalFraction of train is held out',
      ),
      fields: DataFieldsSchema,
      evalFraction: z
        .number()
        .min(0)
        .max(0.5)
        .default(0.05)
        .describe('fraction of the training rows held out (seeded) when data.eval is absent'),
      onBadRow: z
        .enum(['fail', 'skip'])
        .default('fail')
        .describe(
          'a bad row (missing field, empty text, identical pair, over the token limits): fail naming its row, or skip it and report the count',
        ),
      limit: z.number().int().positive().optional().describe('use at most this many training rows'),
    })
    .strict(),
  maxPromptTokens: z
    .number()
    .int()
    .positive()
    .max(MAX_TOKENS)
    .default(512)
    .describe(
      'prompt token limit (counted with the model tokenizer): longer rows are bad rows (data.onBadRow); must be < maxTotalTokens',
    ),
  maxTotalTokens: z
    .number()
    .int()
    .positive()
    .max(MAX_TOKENS)
    .default(562)
    .describe('prompt + response token limit: longer rows are bad rows (data.onBadRow)'),
  steps: z
    .number()
    .int()
    .positive()
    .max(MAX_STEPS)
    .default(200)
    .describe('optimizer steps (ignored when epochs is set)'),
  epochs: z
    .number()
    .positive()
    .max(MAX_EPOCHS)
    .nullable()
    .default(null)
    .describe(
      "passes over the training rows (TRL's num_train_epochs); set: the run takes ⌈epochs·rows/(batchSize·gradAccum)⌉ steps instead of steps",
    ),
  batchSize: z.number().int().positive().max(MAX_ROWS).default(8).describe('examples per batch'),
  gradAccum: z
    .number()
    .int()
    .positive()
    .max(MAX_ROWS)
    .default(1)
    .describe('batches per optimizer step (each batch weighs the same, as in HF Trainer)'),
  microBatchSize: z
    .number()
    .int()
    .positive()
    .max(MAX_ROWS)
    .nullable()
    .default(null)
    .describe(
      'examples per forward/backward pass: each batch is split into micro-batches whose gradients accumulate exactly (SFT weighted by completion tokens, RM and preference by pairs), so the step is the same (memory only); null: batchSize',
    ),
  optim: OptimSchema.prefault({}),
  evalEvery: evalEvery(50, 'only at the end'),
  evalBatches: z
    .number()
    .int()
    .positive()
    .max(MAX_ROWS)
    .default(8)
    .describe('held-out batches per evaluation'),
  checkpointEvery: checkpointEvery(50),
  keepCheckpoints,
  seed,
  device: DeviceSchema,
  dtype: DtypeSchema,
  nonFinite,
  reportTo: ReportToSchema,
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
    normalize: z
      .object({
        data: DataFilesSchema.describe(
          'SFT-format data (prompt/query + completion/reference_response): the reference responses',
        ),
        limit: z.number().int().positive().optional().describe('use at most this many rows (default: all)'),
      })
      .strict()
      .nullable()
      .default(null)
      .describe(
        'after training, subtract the mean reward of these (prompt, reference) pairs from every reward and store it with the model (reward_normalization.json), as the TL;DR PPO work does; null: no normalisation',
      ),
  })
  .strict()
  .superRefine(tokenBudget);

/**
 * β of each preference loss when the config does not set it: the TL;DR work's DPO β = 0.05 for the
 * DPO family, CPO and ORPO; SimPO's own default β = 2.0 for simpo and cpo-simpo (SimPO's loss with
 * CPO's NLL term).
 */
export const DEFAULT_BETA: Record<PreferenceLossName, number> = {
  dpo: 0.05,
  cdpo: 0.05,
  robust: 0.05,
  ipo: 0.05,
  hinge: 0.05,
  simpo: 2.0,
  cpo: 0.05,
  'cpo-simpo': 2.0,
  orpo: 0.05,
};

/** SimPO's target margin γ = β·gamma_beta_ratio = 2.0 · 0.25, for the losses that have one. */
export const DEFAULT_GAMMA = 0.5;

const describeDefaults = (byLoss: Record<string, number>) => {
  const groups = new Map<number, string[]>();
  for (const [loss, value] of Object.entries(byLoss)) groups.set(value, [...(groups.get(value) ?? []), loss]);
  return [...groups].map(([value, losses]) => `${value} for ${losses.join(', ')}`).join('; ');
};

export const PreferenceConfigSchema = z
  .object({
    ...common,
    loss: z
      .enum(PREFERENCE_LOSSES)
      .default('dpo')
      .describe(
        `preference loss: ${[...REFERENCE_LOSSES].join(', ')} (reference-based); ${PREFERENCE_LOSSES.filter((l) => !REFERENCE_LOSSES.has(l)).join(', ')} (reference-free: no reference model is loaded)`,
      ),
    reference: z
      .string()
      .optional()
      .describe('reference snapshot for reference-based losses (default: model)'),
    beta: positive
      .optional()
      .describe(`β; absent: the loss's own default (${describeDefaults(DEFAULT_BETA)})`),
    gamma: z
      .number()
      .nonnegative()
      .optional()
      .describe(
        `target margin γ of simpo and cpo-simpo; absent: SimPO's ${DEFAULT_GAMMA} (β·gamma_beta_ratio = 2.0·0.25)`,
      ),
    labelSmoothing: z.number().min(0).max(0.49).default(0).describe('ε for cDPO / robust / SimPO'),
    lengthNormalize: z
      .boolean()
      .default(true)
      .describe(
        "simpo and ipo: per-token average log-probs ((β/|y|)·log π(y|x), SimPO's length normalisation); false: sums (β·log π(y|x)), the ablation",
      ),
    nllWeight: z
      .number()
      .nonnegative()
      .default(1)
      .describe('λ: CPO / CPO-SimPO NLL weight, ORPO odds-ratio weight'),
  })
  .strict()
  .superRefine(tokenBudget)
  .transform((c) => ({ ...c, beta: c.beta ?? DEFAULT_BETA[c.loss], gamma: c.gamma ?? DEFAULT_GAMMA }));

export type SftConfig = z.output<typeof SftConfigSchema>;
export type RewardModelConfig = z.output<typeof RewardModelConfigSchema>;
export type PreferenceConfig = z.output<typeof PreferenceConfigSchema>;
export type OptimConfig = z.output<typeof OptimSchema>;
