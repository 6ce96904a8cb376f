/**
 * The Llama family's configuration — HF's `LlamaConfig` and `Qwen2Config` (Qwen2 is Llama with
 * biases on q/k/v and a different default θ) — parsed from and written back to config.json, with the
 * HF parameter names and shapes, the named sizes of `init-model`, and HF's random initialisation.
 * The model itself is model.ts beside this file.
 */
import { z } from 'zod';
import { type DType, type Generator, keep, ones, tidy } from '../../tensor/index.ts';
import { INERT_KEYS, noDropout, tokenId } from '../gptneox/config-json.ts';
import { initParameter } from '../gptneox/init.ts';
import type { ModelKind, ParameterShapes, StateDict } from '../gptneox/parameter-layout.ts';

/** The HF `model_type`s this file reads, with the class names of their two heads. */
export const LLAMA_FAMILY = {
  llama: { causalLM: 'LlamaForCausalLM', rewardModel: 'LlamaForSequenceClassification' },
  qwen2: { causalLM: 'Qwen2ForCausalLM', rewardModel: 'Qwen2ForSequenceClassification' },
} as const;
export type LlamaModelType = keyof typeof LLAMA_FAMILY;

/**
 * RoPE frequency scaling (HF's `rope_scaling` / `rope_parameters`): the types whose frequencies
 * this implementation computes. `dynamic` (NTK) only changes them past max_position_embeddings,
 * which this library never runs (model-limits.ts), so within the limit it equals the default.
 */
export type RopeScaling =
  | { type: 'linear'; factor: number }
  | { type: 'dynamic'; factor: number }
  | {
      type: 'llama3';
      factor: number;
      lowFreqFactor: number;
      highFreqFactor: number;
      originalMaxPositionEmbeddings: number;
    };
export const ROPE_SCALING_TYPES = ['default', 'linear', 'dynamic', 'llama3'] as const;

export interface LlamaConfig {
  /** 'llama' (Llama 1–3, SmolLM, TinyLlama, Mistral without sliding window…) or 'qwen2' (Qwen2, Qwen2.5). */
  modelType: LlamaModelType;
  vocabSize: number;
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  /** Grouped-query attention: each key/value head serves numAttentionHeads / numKeyValueHeads query heads. */
  numKeyValueHeads: number;
  /** Width of one head (HF's head_dim; default hidden_size / num_attention_heads). */
  headDim: number;
  intermediateSize: number;
  rmsNormEps: number;
  /** RoPE base θ (Llama 2: 1e4, Llama 3: 5e5, released Qwen2: 1e6; HF's default 1e4). */
  ropeTheta: number;
  ropeScaling: RopeScaling | null;
  /** Biases on q_proj, k_proj, v_proj (Llama's attention_bias; always on in Qwen2). */
  qkvBias: boolean;
  /** Bias on o_proj (Llama's attention_bias; never in Qwen2). */
  outputBias: boolean;
  /** Biases on gate_proj, up_proj, down_proj (Llama's mlp_bias). */
  mlpBias: boolean;
  maxPositionEmbeddings: number;
  /** Whether lm_head shares model.embed_tokens' matrix (then lm_head.weight is not stored). */
  tieWordEmbeddings: boolean;
  initializerRange: number;
  bosTokenId: number | null;
  eosTokenId: number | null;
  padTokenId: number | null;
}

/** Tells a Llama-family config from a GPT-NeoX one (only the former has a modelType). */
export function isLlamaConfig(config: object): config is LlamaConfig {
  return 'modelType' in config && Object.hasOwn(LLAMA_FAMILY, String(config.modelType));
}

/** Throws naming the offending key when the sizes cannot make a model. */
export function validateLlamaConfig(config: LlamaConfig, source = 'config'): LlamaConfig {
  const fail = (key: string, why: string): never => {
    throw new Error(`${source}: ${key}: ${why}`);
  };
  if (config.numAttentionHeads % config.numKeyValueHeads !== 0)
    fail(
      'num_key_value_heads',
      `${config.numKeyValueHeads} does not divide num_attention_heads ${config.numAttentionHeads}`,
    );
  if (config.headDim % 2 !== 0) fail('head_dim', `${config.headDim} is odd: RoPE rotates pairs of dims`);
  for (const [key, id] of [
    ['bos_token_id', config.bosTokenId],
    ['eos_token_id', config.eosTokenId],
    ['pad_token_id', config.padTokenId],
  ] as const) {
    if (id !== null && (id < 0 || id >= config.vocabSize))
      fail(key, `${id} is outside the vocabulary (${config.vocabSize})`);
  }
  return config;
}

// ---- config.json ----

const positiveInt = z.number().int().positive();

/** rope_scaling (older key) and rope_parameters (newer): `type` or `rope_type`, and the type's knobs. */
const ropeSettings = z
  .object({
    type: z.string().optional(),
    rope_type: z.string().optional(),
    rope_theta: z.number().positive().optional(),
    factor: z.number().positive().optional(),
    low_freq_factor: z.number().positive().optional(),
    high_freq_factor: z.number().positive().optional(),
    original_max_position_embeddings: positiveInt.optional(),
  })
  .strict();

const hfSchema = z
  .object({
    model_type: z.enum(Object.keys(LLAMA_FAMILY) as [LlamaModelType, ...LlamaModelType[]]),
    vocab_size: positiveInt,
    hidden_size: positiveInt,
    num_hidden_layers: positiveInt,
    num_attention_heads: positiveInt,
    num_key_value_heads: positiveInt.nullable().optional(),
    head_dim: positiveInt.nullable().optional(),
    intermediate_size: positiveInt,
    hidden_act: z.literal('silu', 'only the SwiGLU MLP (hidden_act "silu") is implemented').default('silu'),
    rms_norm_eps: z.number().positive().default(1e-6),
    rope_theta: z.number().positive().optional(),
    rope_scaling: ropeSettings.nullable().optional(),
    rope_parameters: ropeSettings.nullable().optional(),
    attention_bias: z.boolean().optional(),
    mlp_bias: z.boolean().default(false),
    max_position_embeddings: positiveInt.optional(),
    tie_word_embeddings: z.boolean().default(false),
    initializer_range: z.number().positive().default(0.02),
    bos_token_id: tokenId.default(1),
    eos_token_id: z.union([tokenId, z.array(z.number().int().nonnegative()).min(1)]).default(2),
    pad_token_id: tokenId.default(null),
    attention_dropout: noDropout,
    pretraining_tp: z.literal(1, 'only pretraining_tp 1 is supported (it changes rounding only)').optional(),
    use_sliding_window: z.literal(false, 'sliding-window attention is not implemented').optional(),
    sliding_window: z.number().int().nullable().optional(),
    max_window_layers: z.number().int().optional(),
    layer_types: z
      .array(z.literal('full_attention', 'only full attention layers are implemented'))
      .optional(),
    use_mrope: z.literal(false, 'multimodal RoPE is not implemented').optional(),
    rope_interleaved: z.literal(false, 'interleaved RoPE pairs are not implemented').optional(),
    is_llama_config: z.boolean().optional(),
  })
  .strict();

type HfConfig = z.infer<typeof hfSchema>;

function ropeScalingFrom(
  hf: HfConfig,
  source: string,
): { theta: number | undefined; scaling: RopeScaling | null } {
  const settings = hf.rope_parameters ?? hf.rope_scaling ?? null;
  const key = hf.rope_parameters ? 'rope_parameters' : 'rope_scaling';
  const theta = settings?.rope_theta ?? hf.rope_theta;
  const type = settings?.rope_type ?? settings?.type ?? 'default';
  const need = (name: keyof NonNullable<typeof settings>, fallback?: number): number => {
    const v = (settings?.[name] as number | undefined) ?? fallback;
    if (v === undefined) throw new Error(`${source}: ${key}.${name} is required for rope type "${type}"`);
    return v;
  };
  switch (type) {
    case 'default':
      return { theta, scaling: null };
    case 'linear':
    case 'dynamic':
      return { theta, scaling: { type, factor: need('factor') } };
    case 'llama3':
      return {
        theta,
        scaling: {
          type,
          factor: need('factor'),
          lowFreqFactor: need('low_freq_factor'),
          highFreqFactor: need('high_freq_factor'),
          originalMaxPositionEmbeddings: need('original_max_position_embeddings'),
        },
      };
    default:
      throw new Error(
        `${source}: ${key}: rope type "${type}" is not implemented; supported: ${ROPE_SCALING_TYPES.join(', ')}`,
      );
  }
}

function fromHf(hf: HfConfig, source: string): LlamaConfig {
  const qwen2 = hf.model_type === 'qwen2';
  if (qwen2 && hf.attention_bias !== undefined)
    throw new Error(`${source}: attention_bias: Qwen2 always has q/k/v biases and no o_proj bias`);
  const { theta, scaling } = ropeScalingFrom(hf, source);
  const eos = Array.isArray(hf.eos_token_id) ? hf.eos_token_id[0]! : hf.eos_token_id;
  return {
    modelType: hf.model_type,
    vocabSize: hf.vocab_size,
    hiddenSize: hf.hidden_size,
    numHiddenLayers: hf.num_hidden_layers,
    numAttentionHeads: hf.num_attention_heads,
    numKeyValueHeads: hf.num_key_value_heads ?? hf.num_attention_heads,
    headDim: hf.head_dim ?? Math.floor(hf.hidden_size / hf.num_attention_heads),
    intermediateSize: hf.intermediate_size,
    rmsNormEps: hf.rms_norm_eps,
    ropeTheta: theta ?? 10000, // both HF classes' default (released Qwen2 configs set 1e6)
    ropeScaling: scaling,
    qkvBias: qwen2 || (hf.attention_bias ?? false),
    outputBias: !qwen2 && (hf.attention_bias ?? false),
    mlpBias: hf.mlp_bias,
    maxPositionEmbeddings: hf.max_position_embeddings ?? (qwen2 ? 32768 : 2048), // HF's defaults
    tieWordEmbeddings: hf.tie_word_embeddings,
    initializerRange: hf.initializer_range,
    bosTokenId: hf.bos_token_id,
    eosTokenId: eos,
    padTokenId: hf.pad_token_id,
  };
}

/** Parses an HF Llama or Qwen2 config.json value; errors name `source` and every offending key. */
export function parseLlamaConfigJson(json: unknown, source = 'config.json'): LlamaConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new Error(`${source}: a config must be a JSON object`);
  // Keys that never change the computation (bookkeeping, generation defaults) are accepted as they are.
  const rest = Object.fromEntries(Object.entries(json).filter(([k]) => !INERT_KEYS.has(k)));
  const parsed = hfSchema.safeParse(rest);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) =>
      i.code === 'unrecognized_keys'
        ? `unsupported key(s) ${i.keys.map((k) => JSON.stringify(k)).join(', ')} (not part of the Llama/Qwen2 configuration this implementation understands)`
        : `${i.path.join('.') || '(root)'}: ${i.message}`,
    );
    throw new Error(`${source}: invalid Llama/Qwen2 config:\n  ${issues.join('\n  ')}`);
  }
  return validateLlamaConfig(fromHf(parsed.data, source), source);
}

function ropeScalingJson(s: RopeScaling | null): Record<string, unknown> | null {
  if (!s) return null;
  if (s.type !== 'llama3') return { rope_type: s.type, type: s.type, factor: s.factor };
  return {
    rope_type: 'llama3',
    factor: s.factor,
    low_freq_factor: s.lowFreqFactor,
    high_freq_factor: s.highFreqFactor,
    original_max_position_embeddings: s.originalMaxPositionEmbeddings,
  };
}

/** The config.json object HF's `AutoConfig` reads for this configuration. */
export function toLlamaConfigJson(
  config: LlamaConfig,
  extras: { architectures: string[]; torchDtype: string; extra?: Record<string, unknown> },
): Record<string, unknown> {
  const qwen2 = config.modelType === 'qwen2';
  if (qwen2 && (!config.qkvBias || config.outputBias || config.mlpBias))
    throw new Error('a Qwen2 model has q/k/v biases and no o_proj or MLP bias; write it as model_type llama');
  if (!qwen2 && config.qkvBias !== config.outputBias)
    throw new Error('Llama has one attention_bias for q/k/v and o_proj; q/k/v biases alone are Qwen2');
  return {
    architectures: extras.architectures,
    model_type: config.modelType,
    vocab_size: config.vocabSize,
    hidden_size: config.hiddenSize,
    num_hidden_layers: config.numHiddenLayers,
    num_attention_heads: config.numAttentionHeads,
    num_key_value_heads: config.numKeyValueHeads,
    head_dim: config.headDim,
    intermediate_size: config.intermediateSize,
    hidden_act: 'silu',
    rms_norm_eps: config.rmsNormEps,
    rope_theta: config.ropeTheta,
    rope_scaling: ropeScalingJson(config.ropeScaling),
    ...(qwen2 ? { use_sliding_window: false } : { attention_bias: config.qkvBias, mlp_bias: config.mlpBias }),
    attention_dropout: 0,
    max_position_embeddings: config.maxPositionEmbeddings,
    tie_word_embeddings: config.tieWordEmbeddings,
    initializer_range: config.initializerRange,
    bos_token_id: config.bosTokenId,
    eos_token_id: config.eosTokenId,
    ...(config.padTokenId === null ? {} : { pad_token_id: config.padTokenId }),
    torch_dtype: extras.torchDtype,
    use_cache: true,
    ...extras.extra,
  };
}

// ---- HF parameter names and shapes ----

export const LLAMA_TRUNK_PREFIX = 'model';
export const LLAMA_EMBED = `${LLAMA_TRUNK_PREFIX}.embed_tokens.weight`;
export const LLAMA_FINAL_NORM = `${LLAMA_TRUNK_PREFIX}.norm`;
export const LLAMA_LM_HEAD = 'lm_head.weight';
export const LLAMA_SCORE_HEAD = 'score.weight';

/** The linear layers of one decoder layer by their HF (and PEFT target-module) names. */
export const LLAMA_ATTENTION_LINEARS = ['q_proj', 'k_proj', 'v_proj', 'o_proj'] as const;
export const LLAMA_MLP_LINEARS = ['gate_proj', 'up_proj', 'down_proj'] as const;

/** HF's non-persistent rotary buffers that some checkpoints contain: recomputed here, never loaded. */
const LLAMA_IGNORED_BUFFERS = /(^|\.)rotary_emb\.inv_freq$/;
export function isLlamaIgnoredBuffer(name: string): boolean {
  return LLAMA_IGNORED_BUFFERS.test(name);
}

export function llamaLayerPrefix(i: number): string {
  return `${LLAMA_TRUNK_PREFIX}.layers.${i}`;
}

/** The transformer body `model.*` (LlamaModel / Qwen2Model), in HF's module order. */
export function llamaTrunkShapes(c: LlamaConfig): ParameterShapes {
  const h = c.hiddenSize;
  const q = c.numAttentionHeads * c.headDim;
  const kv = c.numKeyValueHeads * c.headDim;
  const shapes: ParameterShapes = new Map([[LLAMA_EMBED, [c.vocabSize, h]]]);
  const linear = (name: string, out: number, inp: number, bias: boolean) => {
    shapes.set(`${name}.weight`, [out, inp]);
    if (bias) shapes.set(`${name}.bias`, [out]);
  };
  for (let i = 0; i < c.numHiddenLayers; i++) {
    const p = llamaLayerPrefix(i);
    linear(`${p}.self_attn.q_proj`, q, h, c.qkvBias);
    linear(`${p}.self_attn.k_proj`, kv, h, c.qkvBias);
    linear(`${p}.self_attn.v_proj`, kv, h, c.qkvBias);
    linear(`${p}.self_attn.o_proj`, h, q, c.outputBias);
    linear(`${p}.mlp.gate_proj`, c.intermediateSize, h, c.mlpBias);
    linear(`${p}.mlp.up_proj`, c.intermediateSize, h, c.mlpBias);
    linear(`${p}.mlp.down_proj`, h, c.intermediateSize, c.mlpBias);
    shapes.set(`${p}.input_layernorm.weight`, [h]);
    shapes.set(`${p}.post_attention_layernorm.weight`, [h]);
  }
  shapes.set(`${LLAMA_FINAL_NORM}.weight`, [h]);
  return shapes;
}

/** …ForCausalLM: the trunk and `lm_head` (absent when tied to embed_tokens, as HF saves it). */
export function llamaShapesFor(kind: ModelKind, c: LlamaConfig): ParameterShapes {
  const shapes = llamaTrunkShapes(c);
  if (kind === 'reward-model') shapes.set(LLAMA_SCORE_HEAD, [1, c.hiddenSize]);
  else if (!c.tieWordEmbeddings) shapes.set(LLAMA_LM_HEAD, [c.vocabSize, c.hiddenSize]);
  return shapes;
}

/** Parameters of the causal LM (lm_head counted once when tied). */
export function countLlamaParameters(c: LlamaConfig): number {
  return [...llamaShapesFor('causal-lm', c).values()].reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
}

/**
 * A freshly initialised state dict as HF's LlamaPreTrainedModel._init_weights: linear and embedding
 * weights ~ N(0, initializer_range²), biases 0, RMSNorm weights 1; draws in layout order from `gen`.
 */
export function initLlamaStateDict(
  c: LlamaConfig,
  kind: ModelKind,
  gen: Generator,
  opts: { dtype?: DType; device?: string } = {},
): StateDict {
  const o = { dtype: opts.dtype ?? 'float32', device: opts.device ?? 'cpu' };
  const state: StateDict = new Map();
  for (const [name, shape] of llamaShapesFor(kind, c)) {
    const isNorm = /(layernorm|\.norm)\.weight$/.test(name);
    state.set(
      name,
      isNorm ? keep(tidy(() => ones(shape, o))) : initParameter(name, shape, c.initializerRange, gen, o),
    );
  }
  return state;
}

// ---- named sizes (init-model) ----

type NamedLlama = Omit<LlamaConfig, 'vocabSize' | 'bosTokenId' | 'eosTokenId' | 'padTokenId'> & {
  /** A fixed embedding size, or 'tokenizer' to use the tokenizer's vocabulary size. */
  vocabSize: number | 'tokenizer';
};

const TINY = {
  vocabSize: 'tokenizer',
  hiddenSize: 64,
  numHiddenLayers: 2,
  numAttentionHeads: 4,
  numKeyValueHeads: 2,
  headDim: 16,
  intermediateSize: 176,
  rmsNormEps: 1e-5,
  maxPositionEmbeddings: 2048,
  initializerRange: 0.02,
  ropeScaling: null,
  mlpBias: false,
} as const;

/**
 * Two tiny test/demo shapes (vocabulary from the tokenizer) and the published shapes of two small
 * models (their config.json: HuggingFaceTB/SmolLM-135M, Qwen/Qwen2.5-0.5B).
 */
export const LLAMA_NAMED_CONFIGS: Record<string, NamedLlama> = {
  'llama-tiny': {
    ...TINY,
    modelType: 'llama',
    ropeTheta: 10000,
    qkvBias: false,
    outputBias: false,
    tieWordEmbeddings: false,
  },
  'qwen2-tiny': {
    ...TINY,
    modelType: 'qwen2',
    rmsNormEps: 1e-6,
    ropeTheta: 1e6,
    qkvBias: true,
    outputBias: false,
    tieWordEmbeddings: true,
  },
  'smollm-135m': {
    modelType: 'llama',
    vocabSize: 49152,
    hiddenSize: 576,
    numHiddenLayers: 30,
    numAttentionHeads: 9,
    numKeyValueHeads: 3,
    headDim: 64,
    intermediateSize: 1536,
    rmsNormEps: 1e-5,
    ropeTheta: 10000,
    ropeScaling: null,
    qkvBias: false,
    outputBias: false,
    mlpBias: false,
    maxPositionEmbeddings: 2048,
    tieWordEmbeddings: true,
    initializerRange: 0.02,
  },
  'qwen2.5-0.5b': {
    modelType: 'qwen2',
    vocabSize: 151936,
    hiddenSize: 896,
    numHiddenLayers: 24,
    numAttentionHeads: 14,
    numKeyValueHeads: 2,
    headDim: 64,
    intermediateSize: 4864,
    rmsNormEps: 1e-6,
    ropeTheta: 1e6,
    ropeScaling: null,
    qkvBias: true,
    outputBias: false,
    mlpBias: false,
    maxPositionEmbeddings: 32768,
    tieWordEmbeddings: true,
    initializerRange: 0.02,
  },
};

export function isLlamaNamedConfig(name: string): boolean {
  return name in LLAMA_NAMED_CONFIGS;
}

/** The full configuration of a named Llama-family size, its vocabulary from the tokenizer where tiny. */
export function llamaNamedConfig(name: string, tokenizerVocabSize: number, eosTokenId = 0): LlamaConfig {
  const size = LLAMA_NAMED_CONFIGS[name];
  if (!size)
    throw new Error(`unknown model config "${name}"; known: ${Object.keys(LLAMA_NAMED_CONFIGS).join(', ')}`);
  const vocabSize = size.vocabSize === 'tokenizer' ? tokenizerVocabSize : size.vocabSize;
  if (tokenizerVocabSize > vocabSize)
    throw new Error(
      `${name}: the tokenizer has ${tokenizerVocabSize} tokens but the model only ${vocabSize}`,
    );
  return { ...size, vocabSize, bosTokenId: eosTokenId, eosTokenId, padTokenId: null };
}
