/**
 * TRL config names → ours, ahead of the strict schema parsing (`--config-format trl`, or detected:
 * a file with TRL's snake_case names). One table holds every TRL key of the SFT, Reward, DPO, CPO
 * (SimPO), PPO, RLOO and GRPO configs we know of: the key it becomes here, or why it is ignored (no
 * effect on training here) or not supported (an error: dropping it would change the run). The same
 * table generates docs/trl-keys.md.
 *
 * Batch sizes: TRL's are per device; ours are global (split over `launch`'s ranks), so one process
 * reads them as the same numbers. Online, TRL's rollout holds per_device_train_batch_size ·
 * gradient_accumulation_steps · num_mini_batches responses (PPO, RLOO) and is cut into
 * num_mini_batches minibatches; here a rollout is promptsPerStep prompts × samples per prompt, cut
 * into minibatches of minibatchSize rows, so the translation computes both and prints the arithmetic.
 */

import { TRL_1_13_FIELDS } from './trl-fields.ts';

export type ConfigKind = 'sft' | 'rm' | 'po' | 'rl';
export type TrlTrainer = 'SFT' | 'Reward' | 'DPO' | 'CPO' | 'PPO' | 'RLOO' | 'GRPO';
export const TRL_TRAINERS: readonly TrlTrainer[] = ['SFT', 'Reward', 'DPO', 'CPO', 'PPO', 'RLOO', 'GRPO'];

/** The TRL configs whose keys a config of ours of each kind reads. */
const TRAINERS_OF: Record<ConfigKind, readonly TrlTrainer[]> = {
  sft: ['SFT'],
  rm: ['Reward'],
  po: ['DPO', 'CPO'],
  rl: ['PPO', 'RLOO', 'GRPO'],
};
const ONLINE = TRAINERS_OF.rl;
const ALL = TRL_TRAINERS;

/** What a TRL value becomes: our dotted key paths and their values. */
type Assign = Record<string, unknown>;

interface Translation {
  /** TRL's key. */
  key: string;
  /** The TRL configs that have it. */
  trainers: readonly TrlTrainer[];
  /** Our key, by config kind ("optim.lr", "model", …). */
  ours?: Partial<Record<ConfigKind, string>>;
  /** A value translation (names, units); returns our key paths and values. */
  convert?: (value: unknown, kind: ConfigKind) => Assign;
  /** For the docs: what `convert` does. */
  doc?: string;
  /** No effect on training here: dropped, with this reason printed. */
  ignored?: string;
  /** Would change the run and has no equivalent here: an error with this reason. */
  unsupported?: string;
}

const optim = (key: string): Partial<Record<ConfigKind, string>> => ({
  sft: `optim.${key}`,
  rm: `optim.${key}`,
  po: `optim.${key}`,
  rl: `optim.${key}`,
});
const offline = (key: string): Partial<Record<ConfigKind, string>> => ({ sft: key, rm: key, po: key });

const SCHEDULES: Record<string, string> = {
  linear: 'linear',
  cosine: 'cosine',
  constant: 'constant',
  constant_with_warmup: 'constant',
};

/** TRL DPO/CPO loss_type → our loss. */
const LOSSES: Record<string, string> = {
  sigmoid: 'dpo',
  robust: 'robust',
  ipo: 'ipo',
  hinge: 'hinge',
  simpo: 'simpo',
};

/** GRPO loss_type → grpo.lossAggregation. */
const GRPO_AGGREGATION: Record<string, string> = {
  grpo: 'sequence-mean',
  bnpo: 'token-mean',
  dapo: 'token-mean',
  dr_grpo: 'constant',
};

function oneOf(table: Record<string, string>, key: string, value: unknown): string {
  const found = typeof value === 'string' ? table[value] : undefined;
  if (found === undefined)
    throw new Error(
      `${key}: ${JSON.stringify(value)} has no equivalent here (known: ${Object.keys(table).join(', ')})`,
    );
  return found;
}

export const TRL_KEYS: readonly Translation[] = [
  // TrainingArguments, shared by every TRL config.
  { key: 'output_dir', trainers: ALL, ours: { sft: 'out', rm: 'out', po: 'out', rl: 'out' } },
  { key: 'learning_rate', trainers: ALL, ours: optim('lr') },
  {
    key: 'per_device_train_batch_size',
    trainers: ALL,
    ours: offline('batchSize'),
    doc: 'batchSize (global: per device × processes); rl: with gradient_accumulation_steps and num_mini_batches, promptsPerStep and the minibatchSize (see the notes)',
  },
  {
    key: 'gradient_accumulation_steps',
    trainers: ALL,
    ours: offline('gradAccum'),
    doc: 'gradAccum; rl: part of the rollout size (see the notes)',
  },
  { key: 'num_train_epochs', trainers: ALL, ours: { ...offline('epochs'), rl: 'epochs' } },
  {
    key: 'max_steps',
    trainers: ALL,
    convert: (v) => (typeof v === 'number' && v > 0 ? { steps: v } : {}),
    doc: 'steps (when > 0; it then wins over num_train_epochs, as in TRL)',
  },
  { key: 'warmup_ratio', trainers: ALL, ours: optim('warmupRatio') },
  { key: 'warmup_steps', trainers: ALL, ours: optim('warmupSteps') },
  {
    key: 'lr_scheduler_type',
    trainers: ALL,
    convert: (v) => ({
      'optim.schedule': oneOf(SCHEDULES, 'lr_scheduler_type', v),
    }),
    doc: 'optim.schedule: linear, cosine, constant (constant_with_warmup → constant)',
  },
  { key: 'weight_decay', trainers: ALL, ours: optim('weightDecay') },
  { key: 'max_grad_norm', trainers: ALL, ours: optim('maxGradNorm') },
  { key: 'seed', trainers: ALL, ours: { sft: 'seed', rm: 'seed', po: 'seed', rl: 'seed' } },
  {
    key: 'eval_steps',
    trainers: ALL,
    ours: { sft: 'evalEvery', rm: 'evalEvery', po: 'evalEvery', rl: 'evalEvery' },
  },
  {
    key: 'save_steps',
    trainers: ALL,
    ours: { sft: 'checkpointEvery', rm: 'checkpointEvery', po: 'checkpointEvery', rl: 'checkpointEvery' },
  },
  {
    key: 'save_total_limit',
    trainers: ALL,
    ours: { sft: 'keepCheckpoints', rm: 'keepCheckpoints', po: 'keepCheckpoints', rl: 'keepCheckpoints' },
  },
  {
    key: 'bf16',
    trainers: ALL,
    convert: (v) => ({ dtype: v === true ? 'bfloat16' : 'float32' }),
    doc: 'dtype: bfloat16 (true) or float32',
  },
  {
    key: 'fp16',
    trainers: ALL,
    unsupported: 'float16 training is not implemented: use bf16 (dtype: bfloat16)',
  },
  {
    key: 'report_to',
    trainers: ALL,
    convert: (v) => {
      const targets = (Array.isArray(v) ? v : [v]).map(String);
      const other = targets.filter((t) => !['tensorboard', 'none', 'all'].includes(t));
      if (other.length)
        throw new Error(`report_to: ${other.join(', ')} is not supported here (jsonl and tensorboard are)`);
      return {
        reportTo: targets.some((t) => t === 'tensorboard' || t === 'all')
          ? ['jsonl', 'tensorboard']
          : ['jsonl'],
      };
    },
    doc: 'reportTo: tensorboard → [jsonl, tensorboard]; none → [jsonl]; wandb and others: not supported',
  },
  {
    key: 'run_name',
    trainers: ALL,
    ours: { rl: 'name' },
    ignored: 'sft/rm/po: the run is named after its folder',
  },
  { key: 'logging_steps', trainers: ALL, ignored: 'every step is logged to metrics.jsonl' },
  { key: 'logging_dir', trainers: ALL, ignored: 'TensorBoard files go to RUN_DIR/tensorboard/' },
  { key: 'eval_strategy', trainers: ALL, ignored: 'evaluation is every evalEvery steps (eval_steps)' },
  {
    key: 'save_strategy',
    trainers: ALL,
    ignored: 'checkpoints are every checkpointEvery steps (save_steps)',
  },
  {
    key: 'per_device_eval_batch_size',
    trainers: ALL,
    ignored: 'evaluation batches have batchSize rows (evalBatches of them)',
  },
  { key: 'do_train', trainers: ALL, ignored: 'the command trains' },
  { key: 'do_eval', trainers: ALL, ignored: 'evaluation follows evalEvery' },
  { key: 'push_to_hub', trainers: ALL, ignored: 'nothing is uploaded; model/ is an HF snapshot folder' },
  { key: 'overwrite_output_dir', trainers: ALL, ignored: 'pass --fresh to start the run folder over' },
  { key: 'gradient_checkpointing', trainers: ALL, ignored: 'not implemented: use microBatchSize for memory' },
  {
    key: 'optim',
    trainers: ALL,
    convert: (v) => {
      if (typeof v === 'string' && v.startsWith('adamw')) return {};
      throw new Error(
        `optim: ${JSON.stringify(v)} is not supported (the optimizer is AdamW, torch semantics)`,
      );
    },
    doc: 'adamw_* accepted (the optimizer is AdamW); others: not supported',
  },
  {
    key: 'adam_beta1',
    trainers: ALL,
    unsupported: 'AdamW uses β1 = 0.9, β2 = 0.999, ε = 1e-8 (torch defaults)',
  },
  {
    key: 'adam_beta2',
    trainers: ALL,
    unsupported: 'AdamW uses β1 = 0.9, β2 = 0.999, ε = 1e-8 (torch defaults)',
  },
  {
    key: 'adam_epsilon',
    trainers: ALL,
    unsupported: 'AdamW uses β1 = 0.9, β2 = 0.999, ε = 1e-8 (torch defaults)',
  },

  // Lengths.
  { key: 'max_length', trainers: ['SFT', 'Reward', 'DPO', 'CPO'], ours: offline('maxTotalTokens') },
  { key: 'max_seq_length', trainers: ['SFT'], ours: { sft: 'maxTotalTokens' } },
  {
    key: 'max_prompt_length',
    trainers: ['DPO', 'CPO', 'GRPO'],
    ours: { ...offline('maxPromptTokens'), rl: 'maxPromptTokens' },
  },
  {
    key: 'max_completion_length',
    trainers: ['DPO', 'CPO', 'RLOO', 'GRPO'],
    ours: { rl: 'maxNewTokens' },
    ignored: 'sft/rm/po: maxTotalTokens bounds prompt + response',
  },
  { key: 'response_length', trainers: ['PPO', 'RLOO'], ours: { rl: 'maxNewTokens' } },

  // SFT.
  {
    key: 'completion_only_loss',
    trainers: ['SFT'],
    convert: (v) => {
      if (v === false)
        throw new Error('completion_only_loss: false is not supported (the loss is on the completion only)');
      return {};
    },
    doc: 'true accepted (the loss is always on the completion only); false: not supported',
  },
  {
    key: 'packing',
    trainers: ['SFT'],
    convert: (v) => {
      if (v === true) throw new Error('packing: true is not supported (one example per row, padded)');
      return {};
    },
    doc: 'false accepted; true: not supported',
  },
  {
    key: 'dataset_text_field',
    trainers: ['SFT'],
    unsupported: 'rows need a prompt and a completion (data.fields renames them)',
  },

  // Reward.
  { key: 'center_rewards_coefficient', trainers: ['Reward'], ours: { rm: 'centerRewardsCoef' } },

  // DPO / CPO (SimPO).
  {
    key: 'beta',
    trainers: ['DPO', 'CPO', 'RLOO', 'GRPO'],
    ours: { po: 'beta' },
    convert: (v, kind) =>
      kind === 'rl' ? (v === 0 ? { regularizer: { kl: null } } : { 'regularizer.kl.coef': v }) : { beta: v },
    doc: 'beta; RLOO, GRPO: regularizer.kl.coef (0: no KL penalty)',
  },
  {
    key: 'loss_type',
    trainers: ['DPO', 'CPO', 'GRPO'],
    convert: (v, kind) =>
      kind === 'rl'
        ? { 'grpo.lossAggregation': oneOf(GRPO_AGGREGATION, 'loss_type', v) }
        : { loss: oneOf(LOSSES, 'loss_type', v) },
    doc: 'loss: sigmoid → dpo, robust, ipo, hinge, simpo (label_smoothing > 0 with sigmoid → cdpo); GRPO: grpo.lossAggregation (grpo → sequence-mean, bnpo/dapo → token-mean, dr_grpo → constant)',
  },
  { key: 'label_smoothing', trainers: ['DPO', 'CPO'], ours: { po: 'labelSmoothing' } },
  { key: 'simpo_gamma', trainers: ['CPO'], ours: { po: 'gamma' } },
  {
    key: 'cpo_alpha',
    trainers: ['CPO'],
    convert: (v) => ({ nllWeight: v }),
    doc: 'nllWeight (with loss_type simpo and cpo_alpha > 0: loss cpo-simpo)',
  },
  {
    key: 'precompute_ref_log_probs',
    trainers: ['DPO'],
    ignored: 'reference log-probs are always computed once and cached',
  },
  {
    key: 'reference_free',
    trainers: ['DPO'],
    unsupported: 'choose a reference-free loss (simpo, cpo, orpo) instead',
  },
  {
    key: 'rpo_alpha',
    trainers: ['DPO'],
    unsupported: 'RPO is not implemented (cpo adds an NLL term to a reference-free loss)',
  },
  {
    key: 'generate_during_eval',
    trainers: ['DPO', 'CPO'],
    ignored: 'evaluation reports the loss and the rewards',
  },

  // Online: PPO, RLOO, GRPO.
  { key: 'sft_model_path', trainers: ['PPO', 'RLOO'], ours: { rl: 'model' } },
  { key: 'reward_model_path', trainers: ['PPO', 'RLOO'], ours: { rl: 'reward' } },
  { key: 'exp_name', trainers: ['PPO', 'RLOO'], ours: { rl: 'name' } },
  { key: 'kl_coef', trainers: ['PPO', 'RLOO'], ours: { rl: 'regularizer.kl.coef' } },
  {
    key: 'kl_estimator',
    trainers: ['PPO', 'RLOO'],
    convert: (v) => ({ 'regularizer.kl.estimator': oneOf({ k1: 'k1', k3: 'k3' }, 'kl_estimator', v) }),
    doc: 'regularizer.kl.estimator (k1, k3)',
  },
  {
    key: 'cliprange',
    trainers: ['PPO', 'RLOO'],
    doc: 'ppo.clip / rloo.clip',
    convert: (v) => ({ '@algo.clip': v }),
  },
  {
    key: 'epsilon',
    trainers: ['RLOO', 'GRPO'],
    doc: 'rloo.clip / grpo.clip',
    convert: (v) => ({ '@algo.clip': v }),
  },
  { key: 'cliprange_value', trainers: ['PPO'], ours: { rl: 'ppo.valueClip' } },
  { key: 'vf_coef', trainers: ['PPO'], ours: { rl: 'ppo.valueCoef' } },
  { key: 'gamma', trainers: ['PPO'], ours: { rl: 'ppo.gamma' } },
  { key: 'lam', trainers: ['PPO'], ours: { rl: 'ppo.lambda' } },
  { key: 'whiten_rewards', trainers: ['PPO'], ours: { rl: 'ppo.whitenRewards' } },
  {
    key: 'num_ppo_epochs',
    trainers: ['PPO', 'RLOO'],
    doc: 'ppo.epochs / rloo.epochs',
    convert: (v) => ({ '@algo.epochs': v }),
  },
  {
    key: 'num_iterations',
    trainers: ['RLOO', 'GRPO'],
    doc: 'rloo.epochs / grpo.epochs',
    convert: (v) => ({ '@algo.epochs': v }),
  },
  {
    key: 'num_mini_batches',
    trainers: ['PPO', 'RLOO'],
    doc: 'a count, not a size: ppo.minibatchSize / rloo.minibatchSize = rollout rows / num_mini_batches (see the notes)',
  },
  { key: 'rloo_k', trainers: ['RLOO'], ours: { rl: 'rloo.k' } },
  { key: 'normalize_advantage', trainers: ['RLOO'], ours: { rl: 'rloo.whitenAdvantages' } },
  { key: 'normalize_advantages', trainers: ['RLOO'], ours: { rl: 'rloo.whitenAdvantages' } },
  {
    key: 'num_generations',
    trainers: ['RLOO', 'GRPO'],
    doc: 'rloo.k (RLOO) / grpo.groupSize (GRPO); RLOO needs `algorithm: rloo` beside it (else GRPO is assumed)',
    convert: (v) => ({ '@samples': v }),
  },
  {
    key: 'steps_per_generation',
    trainers: ['RLOO', 'GRPO'],
    unsupported:
      "one optimizer step per rollout and epoch here (TRL's default, gradient_accumulation_steps, is what this does)",
  },
  {
    key: 'scale_rewards',
    trainers: ['GRPO'],
    convert: (v) => ({ 'grpo.scaleRewards': v !== false && v !== 'none' }),
    doc: 'grpo.scaleRewards (group / true → true; none / false → false)',
  },
  { key: 'temperature', trainers: ONLINE, ours: { rl: 'temperature' } },
  {
    key: 'disable_dropout',
    trainers: ['Reward', 'DPO', 'CPO', 'RLOO', 'GRPO'],
    ignored: 'the GPT-NeoX forward has no dropout',
  },
  {
    key: 'dataset_num_proc',
    trainers: ['SFT', 'Reward', 'DPO', 'CPO'],
    ignored: 'data loads in one process',
  },
  {
    key: 'trust_remote_code',
    trainers: ['SFT', 'Reward', 'DPO', 'CPO', 'RLOO', 'GRPO'],
    ignored: 'no remote code: GPT-NeoX snapshots only',
  },
  {
    key: 'pad_token',
    trainers: ['SFT', 'Reward', 'DPO'],
    ignored: "the tokenizer's pad token (EOS when it has none)",
  },
  { key: 'eos_token', trainers: ['SFT', 'Reward'], ignored: "the tokenizer's EOS" },
  {
    key: 'shuffle_dataset',
    trainers: ['SFT', 'RLOO', 'GRPO'],
    ignored: 'data is always shuffled with the seed',
  },
  { key: 'missing_eos_penalty', trainers: ['PPO', 'RLOO'], ours: { rl: 'missingEosPenalty' } },
  {
    key: 'local_rollout_forward_batch_size',
    trainers: ['PPO', 'RLOO'],
    ours: { rl: 'rollout.scoreBatchSize' },
  },
  {
    key: 'total_episodes',
    trainers: ['PPO', 'RLOO'],
    doc: 'steps = ⌈total_episodes / rollout rows⌉ (see the notes)',
  },
  { key: 'stop_token', trainers: ['PPO', 'RLOO'], ignored: "responses stop at the tokenizer's EOS" },
  { key: 'stop_token_id', trainers: ['PPO', 'RLOO'], ignored: "responses stop at the tokenizer's EOS" },
  {
    key: 'num_sample_generations',
    trainers: ['PPO', 'RLOO'],
    ignored: 'evaluation samples follow evalEvery and eval.count',
  },
  {
    key: 'token_level_kl',
    trainers: ['RLOO'],
    unsupported: 'the KL penalty is per token in the reward, or in the loss (regularizer.kl.placement)',
  },
  { key: 'use_vllm', trainers: ['GRPO'], ignored: 'sampling runs in the trainer (KV cache)' },
  { key: 'generation_batch_size', trainers: ['GRPO'], ours: { rl: 'rollout.generationBatchSize' } },
  // TRL's ModelConfig (its scripts' PEFT flags), read by every trainer: see peftSection.
  {
    key: 'use_peft',
    trainers: ALL,
    doc: 'true: a `lora` section from the lora_* keys (TRL defaults where absent); false or absent: they are ignored, every weight trains',
  },
  { key: 'lora_r', trainers: ALL, doc: '`lora.r` (TRL default 16; with use_peft)' },
  { key: 'lora_alpha', trainers: ALL, doc: '`lora.alpha` (TRL default 32; with use_peft)' },
  { key: 'lora_dropout', trainers: ALL, doc: '`lora.dropout` (TRL default 0.05; with use_peft)' },
  {
    key: 'lora_target_modules',
    trainers: ALL,
    doc: "`lora.targetModules` (default: PEFT's for the model type; with use_peft)",
  },
  { key: 'use_rslora', trainers: ALL, doc: '`lora.useRslora` (with use_peft)' },
];

/** TRL ModelConfig's PEFT keys: translated together (use_peft gates the others). */
const PEFT_KEYS = ['use_peft', 'lora_r', 'lora_alpha', 'lora_dropout', 'lora_target_modules', 'use_rslora'];

/**
 * TRL's PEFT flags → a `lora` section: with use_peft true, TRL's ModelConfig defaults (r 16,
 * alpha 32, dropout 0.05) where a key is absent; without it TRL trains every weight and the lora_*
 * keys do nothing.
 */
function peftSection(raw: Record<string, unknown>, out: Record<string, unknown>, lines: string[]): void {
  const given = PEFT_KEYS.filter((k) => k in raw);
  if (!given.length) return;
  if (raw.use_peft !== true) {
    lines.push(`use_peft ${show(raw.use_peft ?? false)} → ${given.join(', ')} ignored (every weight trains)`);
    return;
  }
  out.lora = {
    r: raw.lora_r ?? 16,
    alpha: raw.lora_alpha ?? 32,
    dropout: raw.lora_dropout ?? 0.05,
    targetModules: raw.lora_target_modules ?? null,
    useRslora: raw.use_rslora ?? false,
  };
  lines.push(`${given.join(', ')} → lora: ${show(out.lora)}`);
}

const BY_KEY = new Map(TRL_KEYS.map((t) => [t.key, t]));

/** TRL names that a file in our format would not have: snake_case keys of the table. */
export function looksLikeTrl(raw: Record<string, unknown>): boolean {
  return Object.keys(raw).some((k) => k.includes('_') && BY_KEY.has(k));
}

/** Our key for a TRL name, for "did you mean" (undefined when the name is not TRL's). */
export function trlHint(key: string, kind: ConfigKind): string | undefined {
  const t = BY_KEY.get(key);
  if (!t || !key.includes('_')) return undefined;
  if (t.unsupported) return `TRL's ${key} is not supported here: ${t.unsupported}`;
  const ours = t.ours?.[kind];
  const what = ours ? `our ${ours}` : (t.doc ?? `ignored here (${t.ignored})`);
  return `TRL's ${key} is ${what} (--config-format trl translates TRL configs, docs/trl-keys.md)`;
}

const setPath = (out: Record<string, unknown>, path: string, value: unknown) => {
  const keys = path.split('.');
  let cur = out;
  for (const k of keys.slice(0, -1)) {
    const next = cur[k];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[keys[keys.length - 1]!] = value;
};

/** The algorithm block of an rl config: ours when given, else what the TRL keys imply. */
function algorithmOf(raw: Record<string, unknown>): 'ppo' | 'rloo' | 'grpo' {
  if (raw.algorithm === 'ppo' || raw.algorithm === 'rloo' || raw.algorithm === 'grpo') return raw.algorithm;
  if ('rloo_k' in raw || 'normalize_advantage' in raw || 'normalize_advantages' in raw) return 'rloo';
  if ('num_generations' in raw || 'num_iterations' in raw || 'epsilon' in raw) return 'grpo';
  if ('vf_coef' in raw || 'cliprange_value' in raw || 'lam' in raw) return 'ppo';
  return 'rloo';
}

export interface TrlTranslation {
  config: Record<string, unknown>;
  /** One line per translated key: `learning_rate: 1e-06 → optim.lr: 1e-06`. */
  lines: string[];
}

const show = (v: unknown) => JSON.stringify(v);

/**
 * Translates the TRL keys of `raw` for a `kind` config; our own keys pass through unchanged (a TRL
 * key and ours for the same thing both set is an error). Throws naming the key for a value or key
 * with no equivalent.
 */
export function translateTrlConfig(kind: ConfigKind, raw: Record<string, unknown>): TrlTranslation {
  const out: Record<string, unknown> = {};
  const lines: string[] = [];
  const set = new Map<string, string>(); // our path → the TRL key that set it
  const algo = kind === 'rl' ? algorithmOf(raw) : null;
  const assign = (trlKey: string, path: string, value: unknown) => {
    const resolved =
      path === '@samples'
        ? algo === 'rloo'
          ? 'rloo.k'
          : 'grpo.groupSize'
        : path.startsWith('@algo.')
          ? `${algo}.${path.slice(6)}`
          : path;
    set.set(resolved, trlKey);
    setPath(out, resolved, value);
    if (resolved !== trlKey || value !== raw[trlKey])
      lines.push(`${trlKey}: ${show(raw[trlKey])} → ${resolved}: ${show(value)}`);
  };
  for (const [key, value] of Object.entries(raw)) {
    const t = BY_KEY.get(key);
    // Ours, not TRL's: a name no TRL config of this kind has, or one of our blocks (`optim: {…}`).
    const ourBlock = !key.includes('_') && typeof value === 'object' && value !== null;
    if (!t || ourBlock || !t.trainers.some((trainer) => TRAINERS_OF[kind].includes(trainer))) {
      out[key] = value;
      continue;
    }
    if (t.unsupported) throw new Error(`${key}: not supported here: ${t.unsupported}`);
    if (PEFT_KEYS.includes(key)) continue; // peftSection below
    if (
      [
        'per_device_train_batch_size',
        'gradient_accumulation_steps',
        'num_mini_batches',
        'total_episodes',
      ].includes(key) &&
      kind === 'rl'
    )
      continue; // the rollout arithmetic below
    if (t.convert) {
      const assigned = Object.entries(t.convert(value, kind));
      for (const [path, v] of assigned) assign(key, path, v);
      if (!assigned.length) lines.push(`${key}: ${show(value)} → accepted, nothing to set`);
      continue;
    }
    const ours = t.ours?.[kind];
    if (ours) assign(key, ours, value);
    else if (t.ignored) lines.push(`${key}: ${show(value)} → ignored (${t.ignored})`);
    else throw new Error(`${key}: TRL's key has no equivalent in a ${kind} config`);
  }
  // TRL: max_steps > 0 wins over num_train_epochs.
  if (typeof raw.max_steps === 'number' && raw.max_steps > 0 && 'num_train_epochs' in raw) {
    out.epochs = null;
    lines.push('max_steps > 0 wins over num_train_epochs → epochs: null');
  }
  // cDPO: TRL's sigmoid loss with label smoothing.
  if (
    kind === 'po' &&
    out.loss === 'dpo' &&
    typeof out.labelSmoothing === 'number' &&
    out.labelSmoothing > 0
  ) {
    out.loss = 'cdpo';
    lines.push('loss_type "sigmoid" with label_smoothing > 0 → loss: "cdpo"');
  }
  if (kind === 'po' && out.loss === 'simpo' && typeof out.nllWeight === 'number' && out.nllWeight > 0) {
    out.loss = 'cpo-simpo';
    lines.push('loss_type "simpo" with cpo_alpha > 0 → loss: "cpo-simpo"');
  }
  if (kind === 'rl') rolloutArithmetic(raw, out, algo!, lines);
  peftSection(raw, out, lines);
  if (algo && raw.algorithm === undefined) {
    out.algorithm = algo;
    lines.push(`(the TRL keys are ${algo.toUpperCase()}'s) → algorithm: "${algo}"`);
  }
  for (const path of set.keys()) {
    const top = path.split('.')[0]!;
    if (top !== path && raw[top] !== undefined && typeof raw[top] !== 'object')
      throw new Error(`${set.get(path)} and ${top} both set ${path}`);
  }
  return { config: out, lines };
}

/**
 * TRL's rollout: per_device_train_batch_size · gradient_accumulation_steps · num_mini_batches
 * responses (PPO, RLOO; one process), num_mini_batches minibatches of it per epoch; GRPO's:
 * per_device_train_batch_size · gradient_accumulation_steps completions, one optimizer step.
 */
function rolloutArithmetic(
  raw: Record<string, unknown>,
  out: Record<string, unknown>,
  algo: 'ppo' | 'rloo' | 'grpo',
  lines: string[],
): void {
  const num = (k: string, fallback: number) => {
    const v = raw[k];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
      throw new Error(`${k}: expected a positive integer, got ${show(v)}`);
    return v;
  };
  if (
    ![
      'per_device_train_batch_size',
      'gradient_accumulation_steps',
      'num_mini_batches',
      'total_episodes',
    ].some((k) => k in raw)
  )
    return;
  const perDevice = num('per_device_train_batch_size', 8);
  const accum = num('gradient_accumulation_steps', 1);
  // TRL 1.x's RLOO and GRPO: one generation batch per step, num_generations per prompt.
  const generationBatch = algo === 'grpo' || 'num_generations' in raw;
  const miniBatches = generationBatch ? 1 : num('num_mini_batches', 1);
  const rows = perDevice * accum * miniBatches;
  const perPrompt = generationBatch
    ? num('num_generations', algo === 'rloo' ? 2 : 8)
    : algo === 'rloo'
      ? num('rloo_k', 2)
      : 1;
  if (rows % perPrompt !== 0)
    throw new Error(
      `the rollout of ${rows} responses is not a multiple of the ${perPrompt} samples per prompt`,
    );
  out.promptsPerStep = rows / perPrompt;
  setPath(out, `${algo}.minibatchSize`, rows / miniBatches);
  if (accum > 1 || generationBatch) out.microBatchSize = perDevice;
  lines.push(
    `per_device_train_batch_size ${perDevice} × gradient_accumulation_steps ${accum}` +
      (generationBatch ? '' : ` × num_mini_batches ${miniBatches}`) +
      ` = ${rows} responses per rollout → promptsPerStep: ${rows / perPrompt} (× ${perPrompt} per prompt), ${algo}.minibatchSize: ${rows / miniBatches}` +
      (accum > 1 || generationBatch ? `, microBatchSize: ${perDevice}` : ''),
  );
  if ('total_episodes' in raw) {
    const episodes = num('total_episodes', rows);
    out.steps = Math.ceil(episodes / rows);
    lines.push(`total_episodes ${episodes} / ${rows} responses per rollout → steps: ${out.steps}`);
  }
}

/** docs/trl-keys.md: every TRL key, the TRL configs that have it, and ours or why not. */
export function trlKeysMarkdown(): string {
  const listed = new Set(TRL_KEYS.map((t) => t.key));
  const unlisted = new Map<string, TrlTrainer[]>();
  for (const [trainer, fields] of Object.entries(TRL_1_13_FIELDS))
    for (const field of fields)
      if (!listed.has(field) && trainer !== 'base')
        unlisted.set(field, [...(unlisted.get(field) ?? []), trainer as TrlTrainer]);
  const missing = [...unlisted].map(
    ([key, trainers]) => `| \`${key}\` | ${trainers.join(', ')} | not supported (an unknown key: an error) |`,
  );
  const rows = TRL_KEYS.map((t) => {
    const ours = t.ours ? [...new Set(Object.values(t.ours))].map((k) => `\`${k}\``).join(' / ') : '';
    const what = t.unsupported
      ? `not supported: ${t.unsupported}`
      : [t.doc ?? ours, t.ignored ? `ignored${t.ours ? ' elsewhere' : ''}: ${t.ignored}` : '']
          .filter(Boolean)
          .join('; ');
    return `| \`${t.key}\` | ${t.trainers.join(', ')} | ${what} |`;
  });
  return [
    '# TRL config keys and ours',
    '',
    '<!-- generated from src/config/trl.ts by `npx tsx scripts/gen-config-docs.ts`; a test keeps it current -->',
    '',
    'A TRL config (`SFTConfig`, `RewardConfig`, `DPOConfig`, `CPOConfig`, `PPOConfig`, `RLOOConfig`,',
    "`GRPOConfig` as YAML or JSON) runs with `--config-format trl`, or as it is: a file with TRL's",
    'snake_case names is detected, translated by `src/config/trl.ts` before our strict schema',
    'parsing, and the translation is printed key by key. Keys of ours may sit beside the TRL ones',
    '(`model`, `data`, `reference`, `reward`, `regularizer`, …: TRL takes those as',
    'script arguments). Our names are those of [configs.md](configs.md).',
    '',
    'Notes:',
    '',
    "- Batch sizes: TRL's are per device, ours global (split over `maxent-rlhf launch` ranks);",
    '  in one process they are the same number.',
    "- Online (PPO, RLOO): TRL's rollout is `per_device_train_batch_size × gradient_accumulation_steps ×",
    '  num_mini_batches` responses, cut into `num_mini_batches` minibatches (a count); ours is',
    '  `promptsPerStep` prompts × samples per prompt (`rloo.k`, 1 for PPO), cut into minibatches of',
    '  `minibatchSize` rows (a size). The translation computes `promptsPerStep` and `minibatchSize`,',
    '  and `microBatchSize = per_device_train_batch_size` when gradients accumulate. GRPO: one',
    '  optimizer step per rollout of `per_device_train_batch_size × gradient_accumulation_steps`',
    '  completions, `num_generations` per prompt.',
    '- `num_train_epochs` and `warmup_ratio` are first-class here: `epochs` and',
    '  `optim.warmupRatio`.',
    '- Ignored keys have no effect on training here and are dropped with a note; not supported keys',
    '  are errors (dropping them would change the run).',
    '',
    '| TRL key | TRL configs | here |',
    '| --- | --- | --- |',
    ...rows,
    ...missing,
    '',
    "Every field the TRL 1.13.0 configs declare is listed (src/config/trl-fields.ts); keys of transformers'",
    '`TrainingArguments` not listed are not supported (an error naming the key). The keys of PPO and of the',
    'PPO-style RLOO (`rloo_k`, `kl_coef`, `cliprange`, `num_ppo_epochs`, `num_mini_batches`, `response_length`, …)',
    'are those of TRL ≤ 0.19.',
    '',
  ].join('\n');
}
