/**
 * The `bon` command's config: best-of-n from a policy snapshot and a reward model over a prompt
 * file, for a grid of n (no training). Sampling settings are the online trainer's, with its
 * defaults.
 */
import { z } from 'zod';
import { MAX_ROWS, MAX_SAMPLES_PER_PROMPT } from '../config/limits.ts';
import { OnlineTrainConfigSchema } from '../trainers/online/config.ts';
import {
  JudgeHttpSchema,
  JudgeSchema,
  PromptTokensSchema,
  RlDataSchema,
  renamedKeysError,
} from './configs.ts';

const sampling = OnlineTrainConfigSchema.pick({
  temperature: true,
  maxNewTokens: true,
  missingEosPenalty: true,
  seed: true,
  device: true,
  dtype: true,
}).shape;

export const BestOfNConfigSchema = z
  .strictObject(
    {
      name: z.string().min(1).optional().describe('run name in run.json (default: the run folder name)'),
      modelLabel: z.string().min(1).optional().describe('labels.model in run.json (the report groups by it)'),
      model: z
        .string()
        .min(1)
        .describe('the policy snapshot the n responses are sampled from (normally the SFT model)'),
      reward: z.string().min(1).describe('reward-model snapshot that picks the best response (the proxy)'),
      out: z.string().min(1).describe('run folder (created; a rerun recomputes the curve)'),
      data: RlDataSchema.describe(
        'prompt file in SFT format; with judge lab/http its completions are the reference summaries of the win rate',
      ),
      maxPromptTokens: PromptTokensSchema,
      n: z
        .array(z.number().int().positive().max(MAX_SAMPLES_PER_PROMPT))
        .max(64)
        .min(1)
        .default([1, 2, 4, 8, 16])
        .describe('the n of the curve: one metrics line each, all read off the same max(n) draws per prompt'),
      calibrationSamples: z
        .number()
        .int()
        .nonnegative()
        .max(MAX_SAMPLES_PER_PROMPT)
        .default(64)
        .describe(
          'fresh draws per prompt that estimate the reward CDF of the measured objective/kl (0: only the analytic log n − (n−1)/n)',
        ),
      batchSize: z
        .number()
        .int()
        .positive()
        .max(MAX_ROWS)
        .default(8)
        .describe('prompts per generation batch (each sampled max(n) times)'),
      judge: JudgeSchema.describe(
        "none: only the proxy score; lab: the lab's gold judge on the chosen responses (eval/gold_score, eval/win_rate vs the reference), which needs the lab's `facts` field; http: an OpenAI-compatible chat judge (eval/win_rate)",
      ),
      judgeHttp: JudgeHttpSchema,
      ...sampling,
    },
    { error: renamedKeysError },
  )
  .refine((e) => e.judge !== 'http' || e.judgeHttp !== undefined, {
    message: 'judge "http" needs judgeHttp: { baseUrl, model }',
    path: ['judgeHttp'],
  })
  .refine((e) => e.batchSize * Math.max(...e.n, e.calibrationSamples) <= MAX_ROWS, {
    message: `batchSize × max(n, calibrationSamples) responses are sampled at once: at most ${MAX_ROWS}`,
    path: ['n'],
  });

export type BestOfNConfig = z.output<typeof BestOfNConfigSchema>;
