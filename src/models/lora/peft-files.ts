/**
 * PEFT's on-disk layout of a LoRA adapter, as `PeftModel.save_pretrained` writes it and
 * `PeftModel.from_pretrained` reads it: adapter_config.json (peft_type LORA, r, lora_alpha, …,
 * base_model_name_or_path) and adapter_model.safetensors with the factors under PEFT's names
 * (`base_model.model.<module>.lora_A.weight`, `…lora_B.weight`) and the fully trained modules of
 * `modules_to_save` under their own (`base_model.model.score.weight`). Merging folds an adapter into
 * a state dict: W ← W + s·B·A.
 */
import { existsSync } from 'node:fs';
import { copyFile, readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { writeFileAtomically } from '../../io/atomic-write.ts';
import { makeDirs } from '../../io/make-dirs.ts';
import { loadTensors, saveTensors } from '../../io/tensor-io.ts';
import { type DType, dispose, noGrad, type Tensor, tidy } from '../../tensor/index.ts';
import { TOKENIZER_FILES } from '../gptneox/snapshot-files.ts';
import { PEFT_PREFIX } from './adapters.ts';
import { type LoraSettings, loraScaling } from './settings.ts';

export const ADAPTER_CONFIG_FILE = 'adapter_config.json';
export const ADAPTER_WEIGHTS_FILE = 'adapter_model.safetensors';

/** PEFT's task types we write: a causal LM, or a sequence classifier (reward model). */
export type PeftTaskType = 'CAUSAL_LM' | 'SEQ_CLS';

/** What an adapter folder says about itself. */
export interface AdapterConfig {
  settings: LoraSettings;
  taskType: PeftTaskType;
  /** The base snapshot folder the adapter was trained on. */
  baseModel: string;
  /** Modules trained in full and saved whole (a reward model's `score`). */
  modulesToSave: string[];
}

/** True when `dir` holds a PEFT adapter (adapter_config.json) rather than a full snapshot. */
export function isAdapterFolder(dir: string): boolean {
  return existsSync(join(dir, ADAPTER_CONFIG_FILE)) && !existsSync(join(dir, 'config.json'));
}

/** adapter_config.json with every key PEFT's LoraConfig writes (the ones we do not use at their defaults). */
export function adapterConfigJson(
  c: AdapterConfig,
  targets: string[] | 'all-linear',
): Record<string, unknown> {
  return {
    alpha_pattern: {},
    auto_mapping: null,
    base_model_name_or_path: c.baseModel,
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    layers_pattern: null,
    layers_to_transform: null,
    lora_alpha: c.settings.alpha,
    lora_dropout: c.settings.dropout,
    modules_to_save: c.modulesToSave.length ? c.modulesToSave : null,
    peft_type: 'LORA',
    r: c.settings.r,
    rank_pattern: {},
    revision: null,
    target_modules: targets,
    task_type: c.taskType,
    use_dora: false,
    use_rslora: c.settings.useRslora,
  };
}

/** Writes an adapter folder: config, weights (PEFT names) and the tokenizer files of `tokenizerDir`. */
export async function writeAdapterFolder(
  dir: string,
  config: AdapterConfig,
  /** target_modules as saved (LoraAdapters.savedTargets). */
  targets: string[],
  tensors: Map<string, Tensor>,
  tokenizerDir: string | null,
): Promise<void> {
  makeDirs(dir);
  const contiguous = new Map<string, Tensor>();
  try {
    noGrad(() => {
      for (const [name, t] of tensors)
        contiguous.set(
          name,
          tidy(() => t.detach().contiguous()),
        );
    });
    await saveTensors(join(dir, ADAPTER_WEIGHTS_FILE), contiguous, { format: 'pt' });
  } finally {
    dispose([...contiguous.values()]);
  }
  const json = new TextEncoder().encode(`${JSON.stringify(adapterConfigJson(config, targets), null, 2)}\n`);
  await writeFileAtomically(join(dir, ADAPTER_CONFIG_FILE), (sink) => sink.write(json));
  if (tokenizerDir && resolve(tokenizerDir) !== resolve(dir))
    for (const f of TOKENIZER_FILES)
      if (existsSync(join(tokenizerDir, f))) await copyFile(join(tokenizerDir, f), join(dir, f));
}

/** Reads and checks adapter_config.json; errors name the file and the field. */
export async function readAdapterConfig(dir: string): Promise<AdapterConfig> {
  const path = join(dir, ADAPTER_CONFIG_FILE);
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
  const bad = (field: string, why: string): never => {
    throw new Error(`${path}: field "${field}" ${why}`);
  };
  if (typeof json !== 'object' || json === null) bad('(root)', 'must be a JSON object');
  if (json.peft_type !== 'LORA') bad('peft_type', `must be "LORA", got ${JSON.stringify(json.peft_type)}`);
  const taskType = json.task_type;
  if (taskType !== 'CAUSAL_LM' && taskType !== 'SEQ_CLS')
    bad('task_type', `must be "CAUSAL_LM" or "SEQ_CLS", got ${JSON.stringify(taskType)}`);
  const r = json.r;
  if (typeof r !== 'number' || !Number.isInteger(r) || r < 1) bad('r', 'must be a positive integer');
  const alpha = json.lora_alpha;
  if (typeof alpha !== 'number' || !(alpha > 0)) bad('lora_alpha', 'must be a positive number');
  const dropoutP = json.lora_dropout ?? 0;
  if (typeof dropoutP !== 'number' || dropoutP < 0 || dropoutP >= 1) bad('lora_dropout', 'must be in [0, 1)');
  const targets = json.target_modules;
  const targetModules =
    targets === 'all-linear'
      ? 'all-linear'
      : Array.isArray(targets) && targets.length > 0 && targets.every((t) => typeof t === 'string')
        ? (targets as string[])
        : bad('target_modules', 'must be a non-empty list of module names or "all-linear"');
  if ((json.bias ?? 'none') !== 'none') bad('bias', 'must be "none" (trained biases are not supported)');
  if (json.fan_in_fan_out === true)
    bad('fan_in_fan_out', 'must be false (GPT-2 style Conv1D weights are not supported)');
  if (json.use_dora === true) bad('use_dora', 'must be false (DoRA is not supported)');
  for (const field of ['rank_pattern', 'alpha_pattern'])
    if (json[field] && Object.keys(json[field] as object).length)
      bad(field, 'must be empty (per-layer ranks are not supported)');
  if (json.layers_to_transform != null) bad('layers_to_transform', 'must be null (every layer is adapted)');
  const base = json.base_model_name_or_path;
  if (typeof base !== 'string' || !base) bad('base_model_name_or_path', 'must name the base snapshot folder');
  const modules = json.modules_to_save ?? [];
  if (!Array.isArray(modules) || !modules.every((m) => typeof m === 'string'))
    bad('modules_to_save', 'must be null or a list of module names');
  return {
    settings: {
      r: r as number,
      alpha: alpha as number,
      dropout: dropoutP as number,
      targetModules,
      useRslora: json.use_rslora === true,
    },
    taskType: taskType as PeftTaskType,
    baseModel: base as string,
    modulesToSave: modules as string[],
  };
}

/**
 * The base snapshot folder of an adapter: base_model_name_or_path as written (absolute, or relative
 * to the working directory), else relative to the adapter folder. Errors name both.
 */
export function baseFolderOf(adapterDir: string, config: AdapterConfig): string {
  const base = config.baseModel;
  const candidates = isAbsolute(base) ? [base] : [resolve(base), resolve(adapterDir, base)];
  const found = candidates.find((c) => existsSync(join(c, 'config.json')));
  if (!found)
    throw new Error(
      `${join(adapterDir, ADAPTER_CONFIG_FILE)}: base_model_name_or_path "${base}" is not a snapshot folder (no config.json at ${candidates.join(' or ')})`,
    );
  return found;
}

/** Reads adapter_model.safetensors (cast to `dtype` on `device`). */
export async function readAdapterWeights(
  dir: string,
  opts: { dtype?: DType; device?: string } = {},
): Promise<Map<string, Tensor>> {
  const path = join(dir, ADAPTER_WEIGHTS_FILE);
  if (!existsSync(path)) throw new Error(`${dir}: no ${ADAPTER_WEIGHTS_FILE}`);
  return (await loadTensors(path, opts)).tensors;
}

/** PEFT's name of a `modules_to_save` tensor (e.g. score.weight → base_model.model.score.weight). */
export function savedModuleTensorName(name: string): string {
  return `${PEFT_PREFIX}.${name}`;
}

const LORA_NAME = /^base_model\.model\.(.+)\.lora_([AB])\.weight$/;

/**
 * Folds an adapter into `state` (HF names), in place: W ← W + s·B·A for each adapted module,
 * computed in float32 and stored in W's dtype; the `modules_to_save` tensors replace the state's.
 * Errors name an adapter tensor that has no counterpart in the state dict.
 */
export function mergeAdapter(
  state: Map<string, Tensor>,
  config: AdapterConfig,
  tensors: Map<string, Tensor>,
  where: string,
): void {
  const s = loraScaling(config.settings);
  const modules = new Map<string, { a?: Tensor; b?: Tensor }>();
  for (const [name, t] of tensors) {
    const m = LORA_NAME.exec(name);
    if (m) {
      const entry = modules.get(m[1]!) ?? {};
      if (m[2] === 'A') entry.a = t;
      else entry.b = t;
      modules.set(m[1]!, entry);
      continue;
    }
    const saved = config.modulesToSave.find((mod) => name.startsWith(`${PEFT_PREFIX}.${mod}.`));
    const target = saved ? name.slice(PEFT_PREFIX.length + 1) : null;
    const old = target ? state.get(target) : undefined;
    if (!target || !old)
      throw new Error(`${where}: adapter tensor ${name} has no counterpart in the base model`);
    if (old.shape.join() !== t.shape.join())
      throw new Error(`${where}: ${name} has shape [${t.shape}], the base's ${target} [${old.shape}]`);
    noGrad(() => old.copy_(t));
  }
  noGrad(() => {
    for (const [module, { a, b }] of modules) {
      const w = state.get(`${module}.weight`);
      if (!w || !a || !b)
        throw new Error(
          `${where}: ${!w ? `module ${module} is not a linear layer of the base model` : `module ${module} lacks lora_${a ? 'B' : 'A'}`}`,
        );
      const [out, inp] = w.shape as [number, number];
      if (a.dim(1) !== inp || b.dim(0) !== out || a.dim(0) !== b.dim(1))
        throw new Error(
          `${where}: ${module}: lora_A [${a.shape}] and lora_B [${b.shape}] do not fit weight [${w.shape}]`,
        );
      tidy(() => {
        const merged = w.float().add(b.float().matmul(a.float()).mul(s));
        w.copy_(merged.to(w.dtype));
      });
    }
  });
}
