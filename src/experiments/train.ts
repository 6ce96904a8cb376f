/**
 * The home of a training run: a config — the keys of a YAML/JSON file (docs/configs.md) as an
 * object, or the file itself — becomes a ready run (models loaded, trainable where they train;
 * reference, reward model, evaluator, data) and runs. The CLI's `sft`, `rm`, `po` and `rl`, the
 * `sweep` command and library callers all come here: `runSft`, `runRm`, `runPo`, `runRl` (and
 * `runBon`, best-of-n.ts) take a config exactly as the CLI does.
 *
 * The config is validated before anything is loaded (errors name the key path); data rows are
 * checked with the model's tokenizer; the run folder `out` resumes from its newest valid checkpoint
 * unless `fresh` clears it first. Under `maxent-rlhf launch` (WORLD_SIZE > 1 in the environment)
 * every rank joins one process group and trains its share of each batch; rank 0 alone prints
 * progress and writes the run folder.
 */
import { basename, join } from 'node:path';
import type { z } from 'zod';
import { ConfigError, loadConfigSource, type OverrideSource, parseOverrides } from '../config/load.ts';
import { looksLikeTrl, translateTrlConfig, trlHint } from '../config/trl.ts';
import { loadPreferenceDataset, loadSftDataset } from '../data/index.ts';
import { initProcessGroup, type ProcessGroup, readDistEnv } from '../distributed/index.ts';
import {
  assertPositionsFit,
  assertVocabularyFits,
  loadCausalLM,
  loadConfig,
  loadRewardModel,
  SCORE_HEAD,
  StateDictMismatchError,
  Tokenizer,
} from '../models/index.ts';
import { RunDir, type RunLabels } from '../runs/run-dir.ts';
import { acquireRunLock } from '../runs/run-lock.ts';
import { TENSORBOARD_DIR, TensorBoardWriter } from '../runs/tensorboard.ts';
import { rankDevice, resolveDevice, withDefaultDevice } from '../tensor/index.ts';
import {
  LabModels,
  LMPolicy,
  type ProxyReward,
  promptSource,
  RewardModelCritic,
} from '../trainers/adapters/index.ts';
import { DataParallel } from '../trainers/common/data-parallel.ts';
import { trainingSteps } from '../trainers/common/training-length.ts';
import { requireMemoryFits } from '../trainers/memory-budget.ts';
import { needsReference, trainPreference } from '../trainers/offline/preference.ts';
import { trainRewardModel } from '../trainers/offline/reward-model.ts';
import { trainSft } from '../trainers/offline/sft.ts';
import { regularizerKind } from '../trainers/online/config.ts';
import { trainOnline } from '../trainers/online/trainer.ts';
import type { Evaluator } from '../trainers/online/types.ts';
import {
  type RlDataSchema,
  requireInputsOutsideRun,
  TRAIN_SCHEMAS,
  type TrainConfig,
  type TrainKind,
} from './configs.ts';
import { makeRlEvaluator } from './evaluation.ts';
import { stepProgress } from './progress.ts';
import {
  changedKeys,
  clearRunFolder,
  finishedModelIntact,
  loadSplits,
  progressMetrics,
} from './run-folder.ts';

/** A config as a file would hold it (defaults left out), before validation. */
export type TrainConfigInput<K extends TrainKind> = z.input<(typeof TRAIN_SCHEMAS)[K]>;

/** A config file's path, or the config itself. */
export type TrainConfigSource<K extends TrainKind> = string | TrainConfigInput<K>;

export interface TrainIO {
  /** Progress lines and the run folder (stdout). */
  print: (line: string) => void;
  /** Diagnostics: resume notes, skipped rows (stderr). */
  log: (msg: string) => void;
  /** Progress as a redrawn bar (default: when printing to a terminal) rather than a line per step. */
  tty?: boolean;
}

const defaultIO: TrainIO = { print: (l) => console.log(l), log: (m) => console.error(m) };

/** What the rl evaluator is built from: the run's policy (with its tokenizer) and proxy reward model. */
export interface LoadedRlRun {
  policy: LMPolicy & { tokenizer: Tokenizer };
  proxy: ProxyReward;
}

export interface TrainOptions {
  /** `key=value` overrides, as `--set` (values parsed as YAML). */
  set?: string[];
  /** The preference loss (po only), as `--loss`. */
  loss?: string;
  /** Whether the config uses TRL's names (`--config-format`; default auto: detected). */
  configFormat?: ConfigFormat;
  /** Clear the run folder's checkpoints, metrics, model and caches first, as `--fresh`. */
  fresh?: boolean;
  /** Run name written to run.json (default: `name` in an rl config, else the folder's name). */
  name?: string;
  io?: TrainIO;
  /** Data-parallel ranks sharing the run (default: those of `launch`'s environment, else this process). */
  group?: ProcessGroup;
  /**
   * rl only: the periodic evaluation, built once the run's models are loaded (replaces the config's
   * `eval`), e.g. the lab's gold judge on the demo's held-out posts.
   */
  evaluator?: (run: LoadedRlRun) => Evaluator | Promise<Evaluator>;
  /**
   * po only: more held-out metrics at each evaluation (logged under eval/), built once the policy
   * is loaded, e.g. the lab's gold judge of the policy's greedy summaries.
   */
  evaluateMore?: (policy: LMPolicy & { tokenizer: Tokenizer }) => () => Record<string, number>;
  /** po and rl: labels added to the run's own in run.json (e.g. the lab's arm and α). */
  labels?: RunLabels;
  /** Called after every step instead of printing progress (e.g. a caller's own progress bar). */
  onStep?: (step: number, metrics: Record<string, number>, totalSteps: number) => void;
}

/** `--config-format`: our names, TRL's (translated first), or auto (TRL's when the file has them). */
export type ConfigFormat = 'auto' | 'trl' | 'native';

/**
 * A training config from a file or an object, `set` (and `loss`) applied over it, validated: errors
 * name the file (or "config object"), the key path and the flag that set it.
 */
export function loadTrainConfig<K extends TrainKind>(
  kind: K,
  source: TrainConfigSource<K>,
  sets: string[] = [],
  loss?: string,
  format: ConfigFormat = 'auto',
  log: (msg: string) => void = (m) => console.error(m),
): TrainConfig<K> {
  const sources: OverrideSource[] = [];
  const overrides = parseOverrides(sets, sources);
  if (loss !== undefined) {
    if (kind !== 'po') throw new ConfigError(`--loss only applies to \`po\`, not \`${kind}\``);
    overrides.loss = loss;
    sources.push({ path: ['loss'], flag: `--loss ${loss}` });
  }
  const prepare = (raw: Record<string, unknown>) => {
    if (format === 'native' || (format === 'auto' && !looksLikeTrl(raw))) return raw;
    const { config, lines } = translateTrlConfig(kind, raw);
    const where = typeof source === 'string' ? source : 'config object';
    log(
      `${where}: TRL names translated${format === 'auto' ? ' (detected; --config-format native turns this off)' : ''}:\n` +
        lines.map((l) => `  ${l}`).join('\n'),
    );
    return config;
  };
  const config = loadConfigSource(TRAIN_SCHEMAS[kind], source, overrides, sources, {
    prepare,
    hint: (key) => trlHint(key, kind),
  }) as TrainConfig<K>;
  requireInputsOutsideRun(config as TrainConfig<K> & { out: string });
  return config;
}

/** Supervised fine-tuning from a config (object or file); returns the run folder. */
export const runSft = (config: TrainConfigSource<'sft'>, options?: TrainOptions) =>
  runTrain('sft', config, options);
/** A Bradley-Terry reward model from a config (object or file); returns the run folder. */
export const runRm = (config: TrainConfigSource<'rm'>, options?: TrainOptions) =>
  runTrain('rm', config, options);
/** Offline preference optimisation (DPO, SimPO, …) from a config (object or file); returns the run folder. */
export const runPo = (config: TrainConfigSource<'po'>, options?: TrainOptions) =>
  runTrain('po', config, options);
/** Online RLHF (PPO, RLOO, GRPO, …) from a config (object or file); returns the run folder. */
export const runRl = (config: TrainConfigSource<'rl'>, options?: TrainOptions) =>
  runTrain('rl', config, options);

/**
 * One training run of `kind` from a config (object or file): validated, then trained in the given
 * process group or in `launch`'s (one process without it). Returns the run folder.
 */
export async function runTrain<K extends TrainKind>(
  kind: K,
  source: TrainConfigSource<K>,
  options: TrainOptions = {},
): Promise<string> {
  const log = (options.io ?? defaultIO).log;
  const loaded = loadTrainConfig(kind, source, options.set, options.loss, options.configFormat, log);
  return trainConfig(kind, loaded, options);
}

/** Trains a config `loadTrainConfig` validated (as runTrain, whose `set` and `loss` it ignores). */
export async function trainConfig<K extends TrainKind>(
  kind: K,
  loaded: TrainConfig<K>,
  options: TrainOptions = {},
): Promise<string> {
  if (options.group) return trainInGroup(kind, loaded, options, options.group);
  const io = options.io ?? defaultIO;
  // Under `launch`, device auto puts each rank on its own GPU (cuda:LOCAL_RANK), and the process
  // group then picks NCCL for CUDA tensors.
  const dist = readDistEnv();
  const device = rankDevice(loaded.device, dist ? dist.localRank : null);
  const config = { ...loaded, device };
  // One process unless launched with WORLD_SIZE > 1: then every rank joins before anything loads.
  const group = await withDefaultDevice(device, () => initProcessGroup());
  // Rank 0, the run folder's only writer, holds its lock from before `fresh` clears anything until
  // the run ends (the session takes it again).
  const lock = group.rank === 0 ? acquireRunLock(config.out, io.log) : null;
  try {
    return await trainInGroup(kind, config, options, group);
  } finally {
    lock?.release();
    await group.destroy();
  }
}

/** The CLI's `sft|rm|po|rl --config FILE [--set k=v]… [--fresh] [--loss NAME]`. */
export function runTrainCommand(
  kind: TrainKind,
  opts: { config: string; configFormat?: ConfigFormat; set?: string[]; fresh?: boolean; loss?: string },
  io: TrainIO = defaultIO,
): Promise<string> {
  const { configFormat, set, loss, fresh } = opts;
  return runTrain(kind, opts.config, { configFormat, set, loss, fresh, io });
}

/** Trains one validated config on `group`'s ranks; prints a line per step and the run folder at the end. */
async function trainInGroup<K extends TrainKind>(
  kind: K,
  config: TrainConfig<K>,
  o: TrainOptions,
  group: ProcessGroup,
): Promise<string> {
  const dp = new DataParallel(group);
  // Rank 0 prints progress; the other ranks keep their diagnostics (launch prefixes them).
  const io = dp.isMain ? (o.io ?? defaultIO) : { print: () => {}, log: (o.io ?? defaultIO).log };
  const lock = dp.isMain ? acquireRunLock(config.out, io.log) : null;
  try {
    if (o.fresh && dp.isMain) {
      const removed = clearRunFolder(config.out);
      if (removed.length) io.log(`--fresh: removed ${removed.join(', ')} from ${config.out}`);
    }
    return await trainLocked(kind, config, { ...o, group }, io, dp);
  } finally {
    lock?.release();
  }
}

async function trainLocked<K extends TrainKind>(
  kind: K,
  config: TrainConfig<K>,
  o: TrainOptions,
  io: TrainIO,
  dp: DataParallel,
): Promise<string> {
  const steps = kind === 'rl' ? (config as TrainConfig<'rl'>).steps : (config as TrainConfig<'sft'>).steps;
  // Rank 0 reads the run folder and decides for every rank (the others may not even see it).
  const { changed, done, refused } = await dp.broadcastJson(
    dp.isMain
      ? (() => {
          const changed = changedKeys(config.out, config as Record<string, unknown>);
          const finished = RunDir.isDone(config.out);
          // A finished run given another config and no more steps: no step would use the new
          // config, so its run.json must not claim otherwise. With more steps, the new ones do.
          const refused =
            changed?.length && finished && !moreSteps(config.out, steps)
              ? `${config.out} already finished with another config (${changed.join(', ')} differ); none of its ` +
                'steps would use this one (steps is not larger), so nothing was changed. Pass --fresh to train it again with this config, or choose another out'
              : null;
          const done =
            refused === null &&
            changed !== null &&
            changed.length === 0 &&
            finished &&
            finishedModelIntact(config.out, RunDir.readInfo(config.out)?.totalSteps ?? steps, io.log);
          return { changed, done, refused };
        })()
      : { changed: null, done: false, refused: null as string | null },
  );
  if (refused) throw new Error(refused);
  if (changed?.length)
    io.log(
      `note: ${config.out} was started with a different config (${changed.join(', ')}); ` +
        'training resumes from its newest checkpoint — pass --fresh to start over',
    );
  else if (done) {
    io.print(`${kind}: ${config.out} already finished with this config (pass --fresh to start over)`);
    io.print(`run folder: ${config.out}`);
    return config.out;
  }
  // Sizes beyond this machine's memory are refused now, not by the kernel's OOM killer mid-run.
  await requireMemoryFits(kind, config as TrainConfig<K> & { device: string });
  const progress = o.onStep
    ? null
    : stepProgress(kind, steps, {
        print: io.print,
        tty: io.tty ?? (io.print === defaultIO.print && Boolean(process.stdout.isTTY)),
      });
  const onStep =
    o.onStep ??
    ((step: number, m: Record<string, number>, total: number) =>
      progress?.update(step, progressMetrics(kind, m), total));
  const { name, evaluator, evaluateMore, labels, group } = o;
  const common = { name, log: io.log, onStep, group, evaluator, evaluateMore, labels };
  let dir: string;
  try {
    if (kind === 'sft') dir = await sft(config as TrainConfig<'sft'>, common, io);
    else if (kind === 'rm') dir = await rm(config as TrainConfig<'rm'>, common, io);
    else if (kind === 'po') dir = await po(config as TrainConfig<'po'>, common, io);
    else dir = await rl(config as TrainConfig<'rl'>, common, io);
  } finally {
    progress?.stop();
  }
  io.print(`run folder: ${dir}`);
  return dir;
}

/** A finished run given more steps: it continues from its final checkpoint with the new config. */
function moreSteps(out: string, steps: number): boolean {
  const before = (RunDir.readInfo(out)?.config as { steps?: unknown } | undefined)?.steps;
  return typeof before === 'number' && steps > before;
}

interface Common {
  name?: string;
  evaluator?: TrainOptions['evaluator'];
  evaluateMore?: TrainOptions['evaluateMore'];
  labels?: RunLabels;
  log: (msg: string) => void;
  onStep: (step: number, m: Record<string, number>, total: number) => void;
  group?: ProcessGroup;
}

/** What every trainer takes of the run's options: its name, log, progress and process group. */
const hooksOf = ({ name, log, onStep, group }: Common) => ({ name, log, onStep, group });

/** Trainable weights in the run's dtype on the run's device. */
const trainableOn = (c: { dtype: 'float32' | 'bfloat16'; device: string }) => ({
  trainable: true,
  dtype: c.dtype,
  device: resolveDevice(c.device),
});

/** The steps an offline run takes: `steps`, or what its `epochs` come to over `rows`. */
const offlineSteps = (c: TrainConfig<'sft'>, rows: number) =>
  trainingSteps(c, rows, c.batchSize * c.gradAccum);

function describeData(kind: string, n: { train: unknown[]; eval: unknown[] }, steps: number, out: string) {
  return `${kind}: ${n.train.length} training / ${n.eval.length} held-out examples, ${steps} steps → ${out}`;
}

/** The starting model's tokenizer and the train/eval splits, over-long rows counted with that tokenizer. */
async function tokenizedSplits<E>(
  load: Parameters<typeof loadSplits<E>>[0],
  c: {
    model: string;
    data: Parameters<typeof loadSplits<E>>[1];
    maxPromptTokens: number;
    maxTotalTokens: number;
    seed: number;
  },
  io: TrainIO,
) {
  const tokenizer = await Tokenizer.fromFolder(c.model);
  await checkModelFits(c.model, tokenizer, c.maxTotalTokens, `maxTotalTokens ${c.maxTotalTokens}`);
  const data = await loadSplits(load, c.data, c, (t) => tokenizer.encode(t).length, c.seed, io.log);
  return { tokenizer, data };
}

async function sft(c: TrainConfig<'sft'>, common: Common, io: TrainIO): Promise<string> {
  const { tokenizer, data } = await tokenizedSplits(loadSftDataset, c, io);
  io.print(describeData('sft', data, offlineSteps(c, data.train.length), c.out));
  const model = await loadCausalLM(c.model, trainableOn(c));
  try {
    return await trainSft({
      config: c,
      model,
      tokenizer,
      train: data.train,
      eval: data.eval,
      ...hooksOf(common),
    });
  } finally {
    model.dispose();
  }
}

async function rm(c: TrainConfig<'rm'>, common: Common, io: TrainIO): Promise<string> {
  const { tokenizer, data } = await tokenizedSplits(loadPreferenceDataset, c, io);
  io.print(describeData('rm', data, offlineSteps(c, data.train.length), c.out));
  // From the SFT (causal-LM) snapshot: its LM head is dropped and a score head drawn with the seed.
  // The reference responses of the output normalisation, read (and checked) before training.
  const normalizeOn = c.normalize
    ? (
        await loadSftDataset(c.normalize.data, {
          limit: c.normalize.limit,
          onBadRow: c.data.onBadRow,
          log: io.log,
        })
      ).examples
    : undefined;
  const model = await loadRewardModel(c.model, { ...trainableOn(c), initScoreSeed: c.seed });
  try {
    return await trainRewardModel({
      config: c,
      model,
      tokenizer,
      train: data.train,
      eval: data.eval,
      normalizeOn,
      ...hooksOf(common),
    });
  } finally {
    model.dispose();
  }
}

async function po(c: TrainConfig<'po'>, common: Common, io: TrainIO): Promise<string> {
  const { tokenizer, data } = await tokenizedSplits(loadPreferenceDataset, c, io);
  io.print(
    `${describeData(`po (${c.loss})`, data, offlineSteps(c, data.train.length), c.out)}; ` +
      (needsReference(c.loss)
        ? `reference ${c.reference ?? c.model}`
        : 'reference-free: no reference model is loaded'),
  );
  const policy = await loadCausalLM(c.model, trainableOn(c));
  try {
    // The trainer loads the config's reference (default: model) only if its log-probs are not cached.
    return await trainPreference({
      config: c,
      policy,
      tokenizer,
      train: data.train,
      eval: data.eval,
      labels: common.labels,
      evaluateMore: common.evaluateMore?.(Object.assign(new LMPolicy(policy), { tokenizer })),
      ...hooksOf(common),
    });
  } finally {
    policy.dispose();
  }
}

async function rl(c: TrainConfig<'rl'>, common: Common, io: TrainIO): Promise<string> {
  const tokenizer = await Tokenizer.fromFolder(c.model);
  // The reward (and reference) model reads the policy's token ids: check before loading anything big.
  requireSameTokenizer(tokenizer, await Tokenizer.fromFolder(c.reward), c.model, c.reward);
  if (c.reference)
    requireSameTokenizer(tokenizer, await Tokenizer.fromFolder(c.reference), c.model, c.reference);
  // Prompts of up to maxPromptTokens, then maxNewTokens sampled (or eval.maxNewTokens greedy).
  const newTokens = Math.max(c.maxNewTokens, c.eval?.maxNewTokens ?? 0);
  const what = `maxPromptTokens ${c.maxPromptTokens} + ${c.eval?.maxNewTokens && c.eval.maxNewTokens > c.maxNewTokens ? 'eval.maxNewTokens' : 'maxNewTokens'} ${newTokens}`;
  for (const dir of [c.model, c.reward, ...(c.reference ? [c.reference] : [])])
    await checkModelFits(dir, tokenizer, c.maxPromptTokens + newTokens, what);
  const loaded = await loadPromptRows(c, tokenizer, io.log);
  const prompts = loaded.examples.map((e) => e.prompt);
  const reg = regularizerKind(c.regularizer);
  io.print(
    `rl (${c.algorithm}, regularizer ${reg}): ${prompts.length} prompts, ${trainingSteps(c, prompts.length, c.promptsPerStep)} steps → ${c.out}` +
      (c.reference && !c.regularizer.kl
        ? '; the reference only measures objective/kl (not in the objective)'
        : ''),
  );
  const placement = { device: resolveDevice(c.device), dtype: c.dtype };
  const proxy = await loadReward(c.reward, new LabModels(c.maxPromptTokens), placement);
  const separateCritic = c.algorithm === 'ppo' && c.ppo.critic === 'reward-model';
  const policy = Object.assign(
    await LMPolicy.load(c.model, {
      trainable: true,
      valueHead: c.algorithm === 'ppo' && !separateCritic,
      seed: c.seed,
      ...placement,
    }),
    { tokenizer },
  );
  const reference = c.reference ? await LMPolicy.load(c.reference, { trainable: false, ...placement }) : null;
  // PPO's critic initialised from the reward model (the TL;DR PPO work's), trained beside the policy.
  const critic = separateCritic
    ? new RewardModelCritic(await loadRewardModel(c.reward, { trainable: true, ...placement }))
    : null;
  try {
    // With reportTo: tensorboard, the evaluation's greedy summaries go to TensorBoard's Text tab
    // (their own event file beside the trainer's, written by rank 0 only).
    const samples =
      c.reportTo.includes('tensorboard') && (common.group?.rank ?? 0) === 0
        ? new TensorBoardWriter(join(c.out, TENSORBOARD_DIR))
        : null;
    const evaluator = common.evaluator
      ? await common.evaluator({ policy, proxy })
      : c.eval
        ? await makeRlEvaluator({
            eval: c.eval,
            policy,
            proxy,
            maxPromptTokens: c.maxPromptTokens,
            maxNewTokens: c.maxNewTokens,
            onSamples: samples ? (step, markdown) => samples.text(step, 'eval/samples', markdown) : undefined,
          })
        : undefined;
    await trainOnline({
      runDir: c.out,
      name: common.name ?? c.name ?? basename(c.out),
      config: c,
      policy,
      reference,
      reward: proxy.reward,
      critic,
      prompts: promptSource(tokenizer, prompts, c.maxPromptTokens),
      evaluator,
      labels: { ...(c.modelLabel ? { model: c.modelLabel } : {}), ...common.labels },
      log: common.log,
      onStep: common.onStep,
      group: common.group,
    });
    return c.out;
  } finally {
    policy.model.dispose();
    policy.valueHead?.dispose();
    reference?.model.dispose();
    critic?.model.dispose();
    proxy.model.dispose();
  }
}

/** The prompt rows of an rl or bon config (`data`), counted with the policy's tokenizer. */
export function loadPromptRows(
  c: { data: z.output<typeof RlDataSchema>; maxPromptTokens: number },
  tokenizer: Tokenizer,
  log: (msg: string) => void,
) {
  return loadSftDataset(c.data.prompts, {
    onBadRow: c.data.onBadRow,
    countTokens: (t) => tokenizer.encode(t).length,
    maxPromptTokens: c.maxPromptTokens,
    limit: c.data.limit,
    fields: c.data.fields,
    log,
  });
}

/**
 * The reward-model snapshot of an rl run. A snapshot whose weights lack the one-label score head
 * (an SFT model) or have another shape of it (a classifier with more labels) is named as such.
 */
async function loadReward(
  dir: string,
  models: LabModels,
  placement: { device?: string; dtype?: 'float32' | 'bfloat16' },
): Promise<ProxyReward> {
  try {
    return await models.loadRewardFunction(dir, placement);
  } catch (e) {
    let hint = '';
    if (e instanceof StateDictMismatchError) {
      if (e.problems.missing.includes(SCORE_HEAD))
        hint = '\n(it must be a reward-model snapshot, e.g. out/model of `maxent-rlhf rm`)';
      else if (e.problems.mismatched.some((m) => m.name === SCORE_HEAD))
        hint = `\n(a reward model has one label: ${SCORE_HEAD} [1, hidden_size], as \`maxent-rlhf rm\` writes it)`;
    }
    throw new Error(`reward ${dir}: ${(e as Error).message}${hint}`);
  }
}

/** The model of `dir` embeds every id of `tokenizer` and has the positions `what` needs. */
async function checkModelFits(dir: string, tokenizer: Tokenizer, positions: number, what: string) {
  const config = await loadConfig(dir);
  assertVocabularyFits(tokenizer, dir, config, dir);
  assertPositionsFit(positions, what, config, dir);
}

const TOKENIZER_PROBE = 'SUBREDDIT: r/relationships TITLE: my landlord borrows my car POST: help . TL;DR:';

/** The reward (and reference) model reads the policy's token ids: their tokenizers must agree. */
function requireSameTokenizer(a: Tokenizer, b: Tokenizer, aDir: string, bDir: string): void {
  const same =
    a.vocabSize === b.vocabSize &&
    a.eosId === b.eosId &&
    JSON.stringify(a.encode(TOKENIZER_PROBE)) === JSON.stringify(b.encode(TOKENIZER_PROBE));
  if (!same)
    throw new Error(
      `the tokenizer of ${bDir} differs from the policy's (${aDir}): ` +
        `vocab ${b.vocabSize} vs ${a.vocabSize}; both models must read the same token ids`,
    );
}
