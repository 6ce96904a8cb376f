/**
 * The config schemas of the training commands: `sft`, `rm` and `po` use the offline trainers'
 * schemas as they are; `rl` wraps the online trainer's schema with what a run from files needs
 * (policy, reference and reward-model snapshots, prompt files, run folder, evaluation).
 */
import { z } from 'zod';
import { MAX_ROWS, MAX_TOKENS } from '../config/limits.ts';
import { ConfigError } from '../config/load.ts';
import { MAX_UNPARSED_FRACTION } from '../judges/http-judge.ts';
import { inputInsideRunFolder } from '../runs/run-dir.ts';
import { lora } from '../trainers/common/config-knobs.ts';
import {
  DataFieldsSchema,
  DataFilesSchema,
  PreferenceConfigSchema,
  RewardModelConfigSchema,
  SftConfigSchema,
} from '../trainers/offline/config.ts';
import { OnlineTrainConfigSchema } from '../trainers/online/config.ts';

export type TrainKind = 'sft' | 'rm' | 'po' | 'rl';

export const RlDataSchema = z
  .object({
    prompts: DataFilesSchema.describe(
      'prompts in SFT format (.jsonl/.json/.parquet with prompt/query and completion/reference_response fields; a file, a folder of shards, a glob or a list); only the prompts are used',
    ),
    fields: DataFieldsSchema,
    onBadRow: z
      .enum(['fail', 'skip'])
      .default('fail')
      .describe('a bad or over-long prompt row: fail with its row number, or skip it and report the count'),
    limit: z.number().int().positive().optional().describe('use at most this many prompts'),
  })
  .strict();

/** The prompt limit of the online commands (rl, bon). */
export const PromptTokensSchema = z
  .number()
  .int()
  .positive()
  .max(MAX_TOKENS)
  .default(512)
  .describe('prompts are counted with the policy tokenizer; longer rows are bad rows (data.onBadRow)');

export const JudgeSchema = z
  .enum(['none', 'lab', 'http'])
  .default('none')
  .describe(
    "none: only eval/proxy_reward (the reward model on greedy summaries); lab: also the lab's gold judge (eval/gold_score, eval/win_rate vs the reference), which needs the lab's `facts` field; http: an OpenAI-compatible chat judge (eval/win_rate vs the reference), see judgeHttp",
  );

export const JudgeHttpSchema = z
  .object({
    baseUrl: z.string().url().describe('OpenAI-compatible API base, e.g. http://127.0.0.1:8000/v1'),
    model: z
      .string()
      .min(1)
      .describe('judge model name, e.g. gpt-4o-mini (always recorded with the win rate)'),
    apiKeyEnv: z
      .string()
      .optional()
      .describe('name of the environment variable holding the API key (never the key itself)'),
    timeoutMs: z
      .number()
      .int()
      .positive()
      .max(3_600_000)
      .default(30_000)
      .describe('per-request timeout (ms)'),
    maxRetries: z
      .number()
      .int()
      .nonnegative()
      .max(100)
      .default(3)
      .describe('retries on 429, 5xx, timeouts (exponential backoff)'),
    concurrency: z.number().int().positive().max(256).default(4).describe('requests in flight at once'),
    maxUnparsedFraction: z
      .number()
      .min(0)
      .max(1)
      .default(MAX_UNPARSED_FRACTION)
      .describe(
        'above this fraction of answers naming neither summary in one evaluation, the evaluation fails, showing the raw answers',
      ),
  })
  .strict()
  .optional()
  .describe('settings of judge: http');

const RlEvalSchema = z
  .object({
    prompts: z
      .string()
      .min(1)
      .describe('held-out file in SFT format; its completions are the reference summaries of the win rate'),
    count: z.number().int().positive().max(MAX_ROWS).default(64).describe('evaluate on the first N rows'),
    maxNewTokens: z
      .number()
      .int()
      .positive()
      .max(MAX_TOKENS)
      .optional()
      .describe('length limit of the greedy evaluation summaries (default: maxNewTokens)'),
    judge: JudgeSchema,
    judgeHttp: JudgeHttpSchema,
  })
  .strict()
  .refine((e) => e.judge !== 'http' || e.judgeHttp !== undefined, {
    message: 'judge "http" needs judgeHttp: { baseUrl, model }',
    path: ['judgeHttp'],
  });

/** The online trainer's optimiser knobs, in the `optim` block every training command has. */
const online = OnlineTrainConfigSchema.shape;
export const RlOptimSchema = z
  .object({
    lr: online.lr,
    schedule: online.schedule,
    warmupSteps: online.warmupSteps,
    warmupRatio: online.warmupRatio,
    weightDecay: online.weightDecay,
    maxGradNorm: online.maxGradNorm,
  })
  .strict();

/**
 * Keys an rl or bon config had before every command named the snapshot it starts from `model` and
 * put the optimiser in `optim`: each is an error that names its new place.
 */
export const RENAMED_KEYS: Record<string, string> = {
  policy: 'model',
  ...Object.fromEntries(Object.keys(RlOptimSchema.shape).map((k) => [k, `optim.${k}`])),
};

/** zod's error for unknown keys, naming the new place of a renamed one. */
export function renamedKeysError(issue: { code?: string; keys?: string[] }): string | undefined {
  const renamed =
    issue.code === 'unrecognized_keys' ? (issue.keys ?? []).filter((k) => k in RENAMED_KEYS) : [];
  if (!renamed.length) return undefined;
  return (
    `${renamed.map((k) => `"${k}" is now "${RENAMED_KEYS[k]}"`).join(', ')} ` +
    '(every command names the snapshot it starts from `model` and its optimiser settings `optim`, as sft, rm and po do)'
  );
}

const {
  lr: _lr,
  schedule: _s,
  warmupSteps: _w,
  warmupRatio: _r,
  weightDecay: _d,
  maxGradNorm: _g,
  ...trainerKnobs
} = online;

/**
 * An rl config: the online trainer's knobs (its optimiser's in `optim`) and what a run from files
 * needs. Its output is the trainer's config (optim's knobs at the top, as OnlineTrainConfig has them).
 */
export const RlCommandConfigSchema = z
  .strictObject(
    {
      ...trainerKnobs,
      name: z.string().min(1).optional().describe('run name in run.json (default: the run folder name)'),
      modelLabel: z
        .string()
        .min(1)
        .optional()
        .describe('labels.model in run.json: the report groups figures by it (e.g. "pythia-1b")'),
      model: z
        .string()
        .min(1)
        .describe(
          'the policy snapshot to start from (normally the SFT model); PPO reads value_head.safetensors beside it when present',
        ),
      optim: RlOptimSchema.prefault({}).describe('the optimiser (AdamW) and its learning-rate schedule'),
      reference: z
        .string()
        .min(1)
        .nullish()
        .describe(
          'frozen reference snapshot: required by the KL penalty; with an entropy bonus or none it is only used to measure objective/kl (absent or null: not loaded)',
        ),
      reward: z
        .string()
        .min(1)
        .describe('reward-model snapshot (trained by `maxent-rlhf rm`); same tokenizer as the policy'),
      out: z.string().min(1).describe('run folder (created; resumed from its newest valid checkpoint)'),
      data: RlDataSchema,
      maxPromptTokens: PromptTokensSchema,
      eval: RlEvalSchema.nullish().describe(
        'periodic evaluation every evalEvery steps (absent or null: none)',
      ),
      lora,
    },
    { error: renamedKeysError },
  )
  .superRefine((c, ctx) => {
    if (c.regularizer.kl && c.reference == null)
      ctx.addIssue({
        code: 'custom',
        path: ['reference'],
        message: 'required when regularizer.kl is set: the KL penalty needs a frozen reference model',
      });
  })
  .transform(({ optim, ...c }) => ({ ...c, ...optim }));

export type RlCommandConfig = z.output<typeof RlCommandConfigSchema>;

/** The schema each training command validates its config file with. */
export const TRAIN_SCHEMAS = {
  sft: SftConfigSchema,
  rm: RewardModelConfigSchema,
  po: PreferenceConfigSchema,
  rl: RlCommandConfigSchema,
} as const;

export type TrainConfig<K extends TrainKind> = z.output<(typeof TRAIN_SCHEMAS)[K]>;

/** The config keys that name a model or data file a training run reads (never writes). */
const INPUT_KEYS = [
  'model',
  'reference',
  'policy',
  'reward',
  'data.train',
  'data.eval',
  'data.prompts',
  'eval.prompts',
  'normalize.data',
] as const;

/** The inputs a config names, as [key, path] (absent keys left out). */
export function inputPaths(config: Record<string, unknown>): [string, string][] {
  const out: [string, string][] = [];
  for (const key of INPUT_KEYS) {
    let v: unknown = config;
    for (const k of key.split('.'))
      v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined;
    if (typeof v === 'string') out.push([key, v]);
  }
  return out;
}

/** No input (model, data) may lie where the run writes: out itself or its model/, checkpoints/… */
export function requireInputsOutsideRun(config: { out: string }): void {
  for (const [key, path] of inputPaths(config as Record<string, unknown>)) {
    const why = inputInsideRunFolder(config.out, path);
    if (why !== null)
      throw new ConfigError(`out: ${config.out} would overwrite ${key} ${path} (${why}); choose another out`);
  }
}
