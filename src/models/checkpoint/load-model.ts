/**
 * Loading HF snapshot folders of any supported family (GPT-NeoX, Llama, Qwen2: model-family.ts) (config.json + model.safetensors or shards) into our models,
 * in float32 or bfloat16 from F32/BF16/F16 files. The tensors are checked against the config before
 * any weight is read: every missing, unexpected or mis-shaped tensor is reported in one error.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dispose, Generator } from '../../tensor/index.ts';
import { initParameter } from '../gptneox/init.ts';
import type { ModelKind, ParameterShapes, StateDict } from '../gptneox/parameter-layout.ts';
import {
  CONFIG_FILE,
  REWARD_NORMALIZATION_FILE,
  TOKENIZER_FILES,
  VALUE_HEAD_FILE,
} from '../gptneox/snapshot-files.ts';
import { assertShapesMatch } from '../gptneox/state-dict-check.ts';
import { ValueHead } from '../gptneox/value-head.ts';
import {
  type AdapterConfig,
  baseFolderOf,
  isAdapterFolder,
  mergeAdapter,
  readAdapterConfig,
  readAdapterWeights,
} from '../lora/index.ts';
import {
  type CausalLM,
  causalLMFor,
  headNames,
  isIgnoredTensor,
  type ModelConfig,
  modelShapes,
  parseAnyConfigJson,
  type RewardModel,
  rewardModelFor,
} from '../model-family.ts';
import { WeightFiles } from './weight-files.ts';

export interface LoadOptions {
  /** Compute and storage dtype of the loaded weights (default float32). */
  dtype?: 'float32' | 'bfloat16';
  device?: string;
  /** Record gradients for every parameter (for training). */
  trainable?: boolean;
}

export interface RewardModelLoadOptions extends LoadOptions {
  /**
   * Start a reward model from a causal-LM snapshot: `score.weight` may be absent (then drawn from
   * N(0, initializer_range²) with this seed) and `embed_out.weight` is dropped.
   */
  initScoreSeed?: number;
}

/**
 * Reads and validates `dir/config.json` (its family from model_type); of the base snapshot when
 * `dir` is a LoRA adapter folder.
 */
export async function loadConfig(dir: string): Promise<ModelConfig> {
  if (isAdapterFolder(dir)) return loadConfig(baseFolderOf(dir, await readAdapterConfig(dir)));
  const path = join(dir, CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new Error(`${dir}: no ${CONFIG_FILE}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path} is not valid JSON: ${(e as Error).message}`);
  }
  return parseAnyConfigJson(json, path);
}

interface Selection {
  expected: ParameterShapes;
  /** Expected names the file may lack (they are initialised instead). */
  optional: Set<string>;
  /** Extra names in the file that are dropped. */
  dropped: Set<string>;
}

function selectTensors(kind: ModelKind, config: ModelConfig, initScore: boolean): Selection {
  const { lmHead, score } = headNames(config);
  const dropped = new Set<string>();
  if (config.tieWordEmbeddings) dropped.add(lmHead); // some exporters store the tied copy too
  if (kind === 'reward-model' && initScore) dropped.add(lmHead);
  const optional = new Set(kind === 'reward-model' && initScore ? [score] : []);
  return { expected: modelShapes(kind, config), optional, dropped };
}

/** Reads the tensors `kind` needs from `dir`, checked against `config`, in layout order. */
export async function loadStateDict(
  dir: string,
  kind: ModelKind,
  config: ModelConfig,
  opts: LoadOptions & { initScoreSeed?: number } = {},
): Promise<StateDict> {
  const files = await WeightFiles.open(dir);
  const state: StateDict = new Map();
  try {
    const sel = selectTensors(kind, config, opts.initScoreSeed !== undefined);
    assertShapesMatch(dir, sel.expected, files.shapes(), {
      optional: sel.optional,
      ignore: (n) => isIgnoredTensor(config, n) || sel.dropped.has(n),
    });
    const dtype = opts.dtype ?? 'float32';
    const present = files.shapes();
    for (const name of sel.expected.keys()) {
      if (present.has(name)) state.set(name, await files.read(name, dtype, opts.device ?? 'cpu'));
    }
    return state;
  } catch (e) {
    dispose([...state.values()]);
    throw e;
  } finally {
    await files.close();
  }
}

function hasTokenizer(dir: string): boolean {
  return existsSync(join(dir, TOKENIZER_FILES[0]!));
}

/** An adapter folder's config and base folder, or null for a full snapshot. */
async function adapterOf(dir: string): Promise<{ adapter: AdapterConfig; base: string } | null> {
  if (!isAdapterFolder(dir)) return null;
  const adapter = await readAdapterConfig(dir);
  return { adapter, base: baseFolderOf(dir, adapter) };
}

/** Folds the adapter of folder `dir` into `state` (W + s·B·A; modules_to_save replaced). */
async function mergeAdapterFolder(
  dir: string,
  adapter: AdapterConfig,
  state: StateDict,
  opts: LoadOptions,
): Promise<void> {
  const tensors = await readAdapterWeights(dir, { device: opts.device ?? 'cpu' });
  try {
    mergeAdapter(state, adapter, tensors, dir);
  } catch (e) {
    dispose([...state.values()]);
    throw e;
  } finally {
    dispose([...tensors.values()]);
  }
}

/**
 * Loads an HF …ForCausalLM snapshot (GPTNeoX, Llama, Qwen2), or a LoRA adapter folder (PEFT's
 * layout) as its base with the adapter merged in.
 */
export async function loadCausalLM(dir: string, opts: LoadOptions = {}): Promise<CausalLM> {
  const config = await loadConfig(dir);
  const folder = await adapterOf(dir);
  if (folder?.adapter.taskType === 'SEQ_CLS')
    throw new Error(`${dir}: a reward-model (SEQ_CLS) LoRA adapter, not a causal LM's (CAUSAL_LM)`);
  const state = await loadStateDict(folder?.base ?? dir, 'causal-lm', config, opts);
  if (folder) await mergeAdapterFolder(dir, folder.adapter, state, opts);
  const model = causalLMFor(config, state);
  if (hasTokenizer(dir)) model.tokenizerDir = dir;
  else if (folder && hasTokenizer(folder.base)) model.tokenizerDir = folder.base;
  return opts.trainable ? model.setTrainable(true) : model;
}

/**
 * Loads an HF …ForSequenceClassification (num_labels = 1) snapshot (GPTNeoX, Llama, Qwen2), or
 * starts one from a causal LM.
 */
export async function loadRewardModel(dir: string, opts: RewardModelLoadOptions = {}): Promise<RewardModel> {
  const config = await loadConfig(dir);
  const folder = await adapterOf(dir);
  // A reward-model adapter's base is often the SFT causal LM: its score head comes from the adapter.
  const seqCls = folder?.adapter.taskType === 'SEQ_CLS';
  if (seqCls && !folder!.adapter.modulesToSave.includes('score'))
    throw new Error(`${dir}: a SEQ_CLS adapter must save its score head (modules_to_save: ["score"])`);
  const scoreSeed = seqCls ? (opts.initScoreSeed ?? 0) : opts.initScoreSeed;
  const state = await loadStateDict(folder?.base ?? dir, 'reward-model', config, {
    ...opts,
    initScoreSeed: scoreSeed,
  });
  const { score } = headNames(config);
  if (!state.has(score)) {
    const gen = new Generator(opts.initScoreSeed ?? 0, opts.device ?? 'cpu');
    state.set(score, initParameter(score, [1, config.hiddenSize], config.initializerRange, gen, opts));
  }
  if (folder) await mergeAdapterFolder(dir, folder.adapter, state, opts);
  const model = rewardModelFor(config, state);
  if (hasTokenizer(dir)) model.tokenizerDir = dir;
  else if (folder && hasTokenizer(folder.base)) model.tokenizerDir = folder.base;
  const normalization = await readRewardNormalization(dir);
  if (normalization) {
    const { bias, ...source } = normalization;
    model.rewardBias = bias;
    model.rewardBiasSource = source;
  }
  return opts.trainable ? model.setTrainable(true) : model;
}

/** `dir/reward_normalization.json` ({"bias": number, …}), when present; errors name the file. */
export async function readRewardNormalization(
  dir: string,
): Promise<({ bias: number } & Record<string, unknown>) | null> {
  const path = join(dir, REWARD_NORMALIZATION_FILE);
  if (!existsSync(path)) return null;
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  const bias = (json as { bias?: unknown } | null)?.bias;
  if (typeof bias !== 'number' || !Number.isFinite(bias))
    throw new Error(
      `${path}: field "bias" must be a finite number (the mean reward subtracted from every reward)`,
    );
  return json as { bias: number } & Record<string, unknown>;
}

/** Loads `dir/value_head.safetensors` when present, else initialises a head for `config` from `seed`. */
export async function loadOrInitValueHead(
  dir: string,
  config: ModelConfig,
  seed: number,
  opts: LoadOptions = {},
): Promise<ValueHead> {
  const head = existsSync(join(dir, VALUE_HEAD_FILE))
    ? await ValueHead.load(dir, opts)
    : ValueHead.init(config.hiddenSize, new Generator(seed, opts.device ?? 'cpu'), {
        std: config.initializerRange,
        ...opts,
      });
  const width = head.weight.dim(1);
  if (width !== config.hiddenSize) {
    head.dispose();
    throw new Error(
      `${join(dir, VALUE_HEAD_FILE)}: value head width ${width} ≠ hidden_size ${config.hiddenSize}`,
    );
  }
  return opts.trainable ? head.setTrainable(true) : head;
}
