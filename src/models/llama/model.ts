/**
 * The Llama family — Llama 1–3, SmolLM, TinyLlama (model_type "llama") and Qwen2 / Qwen2.5
 * ("qwen2": the same computation with biases on q, k and v) — as HF's modeling_llama.py and
 * modeling_qwen2.py compute it, in one file from token ids to logits:
 *
 *   ids → embed_tokens → [layer: h = x + attn(rms1(x)); h + mlp(rms2(h))] × L → norm → hidden
 *   attn: grouped-query attention, RoPE (rotate_half pairs, θ = rope_theta, rope_scaling) on q and k
 *   mlp:  down_proj(silu(gate_proj(x)) · up_proj(x))                                    (SwiGLU)
 *   hidden → lm_head (embed_tokens when tied) → logits        (…ForCausalLM)
 *   hidden at the last real token → score → reward            (…ForSequenceClassification, 1 label)
 *
 * Padding, positions, the KV cache (growing or static, holding only the key/value heads) and the
 * scoring functions are the ones GPT-NeoX uses (../gptneox/model.ts), so generation, training and
 * the estimators take either family through the same interfaces. Config, names and shapes: config.ts.
 */
import {
  attention,
  type DType,
  embedding,
  keep,
  linear,
  ones,
  type Tensor,
  tensor,
  tidy,
} from '../../tensor/index.ts';
import {
  type AttentionContext,
  applyRotary,
  type CausalLMForwardOptions,
  type CausalLMOutput,
  cacheLength,
  checkMaskShape,
  extendLayerCache,
  type KVCache,
  type LayerCache,
  Linear,
  ONE_LABEL,
  positionIdsFromMask,
  type RotaryTables,
  rewardsAtLastToken,
  rotaryTablesFrom,
  StateDictModel,
  shapesOf,
  type TrunkOptions,
  type TrunkOutput,
  targetLogProbs,
  writeLayerCache,
  writeRewardNormalization,
} from '../gptneox/model.ts';
import { type StateDict, take } from '../gptneox/parameter-layout.ts';
import { assertShapesMatch } from '../gptneox/state-dict-check.ts';
import { type SaveOptions, writeSnapshot } from '../gptneox/write-snapshot.ts';
import {
  LLAMA_EMBED,
  LLAMA_FAMILY,
  LLAMA_FINAL_NORM,
  LLAMA_LM_HEAD,
  LLAMA_SCORE_HEAD,
  type LlamaConfig,
  llamaLayerPrefix,
  llamaShapesFor,
  toLlamaConfigJson,
} from './config.ts';

// ---- building blocks ----

/** x / √(mean(x²) + ε) · weight, the mean in float32 (HF's LlamaRMSNorm / Qwen2RMSNorm). */
export class RMSNorm {
  readonly weight: Tensor;
  readonly eps: number;

  constructor(state: StateDict, name: string, eps: number) {
    this.weight = take(state, `${name}.weight`);
    this.eps = eps;
  }

  forward(x: Tensor): Tensor {
    const x32 = x.float();
    const normed = x32.mul(x32.square().mean(-1, true).add(this.eps).rsqrt());
    return this.weight.mul(normed.to(x.dtype));
  }
}

// ---- rotary position embeddings with rope_theta and rope_scaling ----

/**
 * θ_i = rope_theta^(−2i/head_dim), i < head_dim/2, in double precision, then scaled:
 * linear divides every frequency by the factor; llama3 divides the low frequencies (wavelength
 * above original_max / low_freq_factor) by it, keeps the high ones (below original_max /
 * high_freq_factor) and blends in between; dynamic equals the default within max_position_embeddings.
 */
export function llamaInverseFrequencies(c: LlamaConfig): number[] {
  const d = c.headDim;
  const base = Array.from({ length: d / 2 }, (_, i) => 1 / c.ropeTheta ** ((2 * i) / d));
  const s = c.ropeScaling;
  if (!s || s.type === 'dynamic') return base;
  if (s.type === 'linear') return base.map((f) => f / s.factor);
  const lowFreqWavelength = s.originalMaxPositionEmbeddings / s.lowFreqFactor;
  const highFreqWavelength = s.originalMaxPositionEmbeddings / s.highFreqFactor;
  return base.map((f) => {
    const wavelength = (2 * Math.PI) / f;
    if (wavelength < highFreqWavelength) return f;
    if (wavelength > lowFreqWavelength) return f / s.factor;
    const smooth =
      (s.originalMaxPositionEmbeddings / wavelength - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
    return ((1 - smooth) * f) / s.factor + smooth * f;
  });
}

/** Inverse-frequency tables by config and device, made once (a recorded decode step replays, never builds, them). */
const inverseFrequencyTables = new Map<string, Tensor>();

function inverseFrequencyTable(c: LlamaConfig, device: string): Tensor {
  const key = JSON.stringify([c.headDim, c.ropeTheta, c.ropeScaling, device]);
  let table = inverseFrequencyTables.get(key);
  if (!table) {
    table = keep(tensor(llamaInverseFrequencies(c), { dtype: 'float32', device }));
    inverseFrequencyTables.set(key, table);
  }
  return table;
}

function llamaRotaryTables(c: LlamaConfig, positionIds: Tensor, dtype: DType): RotaryTables {
  return rotaryTablesFrom(positionIds, inverseFrequencyTable(c, positionIds.device), dtype);
}

// ---- attention, MLP, layer ----

/** [B, kv heads, S, D] → [B, kv heads · groups, S, D]: each key/value head serves `groups` query heads. */
function repeatKeyValueHeads(x: Tensor, groups: number): Tensor {
  if (groups === 1) return x;
  const [B, kv, S, D] = x.shape as [number, number, number, number];
  return x
    .unsqueeze(2)
    .expand(B, kv, groups, S, D)
    .reshape(B, kv * groups, S, D);
}

/** Grouped-query self-attention with separate q/k/v/o projections (HF's LlamaAttention / Qwen2Attention). */
export class LlamaAttention {
  readonly qProj: Linear;
  readonly kProj: Linear;
  readonly vProj: Linear;
  readonly oProj: Linear;
  readonly numHeads: number;
  readonly numKeyValueHeads: number;
  readonly headDim: number;

  constructor(state: StateDict, prefix: string, c: LlamaConfig) {
    this.qProj = new Linear(state, `${prefix}.q_proj`);
    this.kProj = new Linear(state, `${prefix}.k_proj`);
    this.vProj = new Linear(state, `${prefix}.v_proj`);
    this.oProj = new Linear(state, `${prefix}.o_proj`);
    this.numHeads = c.numAttentionHeads;
    this.numKeyValueHeads = c.numKeyValueHeads;
    this.headDim = c.headDim;
  }

  /** x [B, T, hidden] → output [B, T, hidden] and this layer's cache (key/value heads only) with the new positions. */
  forward(x: Tensor, context: AttentionContext, past?: LayerCache): { out: Tensor; cache: LayerCache } {
    const [B, T] = x.shape as [number, number, number];
    const d = this.headDim;
    const heads = (proj: Linear, n: number) => proj.forward(x).view(B, T, n, d).transpose(1, 2);
    const q = applyRotary(heads(this.qProj, this.numHeads), context.rotary, d);
    const k = applyRotary(heads(this.kProj, this.numKeyValueHeads), context.rotary, d);
    const v = heads(this.vProj, this.numKeyValueHeads);
    const cache = context.slots ? writeLayerCache(past!, k, v, context.slots) : extendLayerCache(past, k, v);
    const groups = this.numHeads / this.numKeyValueHeads;
    const y = attention(q, repeatKeyValueHeads(cache.key, groups), repeatKeyValueHeads(cache.value, groups), {
      mask: context.keyMask,
      causal: context.causal ?? true,
    });
    return { out: this.oProj.forward(y.transpose(1, 2).reshape(B, T, this.numHeads * d)), cache };
  }
}

/** SwiGLU: down_proj(silu(gate_proj(x)) · up_proj(x)). */
export class LlamaMLP {
  readonly gateProj: Linear;
  readonly upProj: Linear;
  readonly downProj: Linear;

  constructor(state: StateDict, prefix: string) {
    this.gateProj = new Linear(state, `${prefix}.gate_proj`);
    this.upProj = new Linear(state, `${prefix}.up_proj`);
    this.downProj = new Linear(state, `${prefix}.down_proj`);
  }

  forward(x: Tensor): Tensor {
    const gate = this.gateProj.forward(x);
    return this.downProj.forward(gate.mul(gate.sigmoid()).mul(this.upProj.forward(x)));
  }
}

/** One decoder layer (HF's LlamaDecoderLayer): pre-norm, sequential residuals. */
export class LlamaDecoderLayer {
  readonly inputLayernorm: RMSNorm;
  readonly postAttentionLayernorm: RMSNorm;
  readonly selfAttn: LlamaAttention;
  readonly mlp: LlamaMLP;

  constructor(state: StateDict, prefix: string, c: LlamaConfig) {
    this.inputLayernorm = new RMSNorm(state, `${prefix}.input_layernorm`, c.rmsNormEps);
    this.postAttentionLayernorm = new RMSNorm(state, `${prefix}.post_attention_layernorm`, c.rmsNormEps);
    this.selfAttn = new LlamaAttention(state, `${prefix}.self_attn`, c);
    this.mlp = new LlamaMLP(state, `${prefix}.mlp`);
  }

  forward(x: Tensor, context: AttentionContext, past?: LayerCache): { out: Tensor; cache: LayerCache } {
    const { out: attn, cache } = this.selfAttn.forward(this.inputLayernorm.forward(x), context, past);
    const h = x.add(attn);
    return { out: h.add(this.mlp.forward(this.postAttentionLayernorm.forward(h))), cache };
  }
}

// ---- the transformer body (HF's LlamaModel / Qwen2Model) ----

export class LlamaModel {
  readonly config: LlamaConfig;
  readonly embedTokens: Tensor;
  readonly layers: LlamaDecoderLayer[];
  readonly norm: RMSNorm;

  constructor(state: StateDict, config: LlamaConfig) {
    this.config = config;
    this.embedTokens = take(state, LLAMA_EMBED);
    this.layers = Array.from(
      { length: config.numHiddenLayers },
      (_, i) => new LlamaDecoderLayer(state, llamaLayerPrefix(i), config),
    );
    this.norm = new RMSNorm(state, LLAMA_FINAL_NORM, config.rmsNormEps);
  }

  /** ids [B, T] int64 → final hidden states [B, T, hidden] and the extended cache (options: TrunkOptions). */
  forward(ids: Tensor, opts: TrunkOptions = {}): TrunkOutput {
    const dtype = this.embedTokens.dtype;
    if (opts.staticCache) {
      const { slots, attends, cache } = opts.staticCache;
      if (!opts.positionIds) throw new Error('a static-cache forward needs positionIds');
      const rotary = llamaRotaryTables(this.config, opts.positionIds, dtype);
      return this.run(ids, { rotary, keyMask: attends, causal: false, slots }, cache);
    }
    const [B, T] = ids.shape as [number, number];
    const past = cacheLength(opts.cache);
    const mask = opts.attentionMask ?? ones([B, past + T], { dtype: 'int64', device: ids.device });
    checkMaskShape(mask, B, past + T);
    const positions = opts.positionIds ?? positionIdsFromMask(mask).narrow(1, past, T);
    const context: AttentionContext = {
      rotary: llamaRotaryTables(this.config, positions, dtype),
      keyMask: mask.ne(0).view(B, 1, 1, past + T),
    };
    return this.run(ids, context, opts.cache);
  }

  private run(ids: Tensor, context: AttentionContext, past: KVCache | null | undefined): TrunkOutput {
    let x = embedding(this.embedTokens, ids);
    const cache: KVCache = [];
    this.layers.forEach((layer, i) => {
      // A layer's temporaries are freed when it ends: a no-grad pass holds one layer's working set.
      const step = tidy(() => layer.forward(x, context, past?.[i]));
      x = step.out;
      cache.push(step.cache);
    });
    return { hidden: this.norm.forward(x), cache };
  }
}

/** Every linear layer by its HF module name (LoRA's target modules: q_proj, …, down_proj). */
function linearsOf(trunk: LlamaModel): Map<string, Linear> {
  const out = new Map<string, Linear>();
  trunk.layers.forEach((layer, i) => {
    const p = llamaLayerPrefix(i);
    const a = layer.selfAttn;
    const m = layer.mlp;
    for (const [name, module] of [
      ['self_attn.q_proj', a.qProj],
      ['self_attn.k_proj', a.kProj],
      ['self_attn.v_proj', a.vProj],
      ['self_attn.o_proj', a.oProj],
      ['mlp.gate_proj', m.gateProj],
      ['mlp.up_proj', m.upProj],
      ['mlp.down_proj', m.downProj],
    ] as const)
      out.set(`${p}.${name}`, module);
  });
  return out;
}

// ---- the two models: a trunk and a head over one state dict ----

/** A Llama-family model with its language-modelling head (HF's LlamaForCausalLM / Qwen2ForCausalLM). */
export class LlamaForCausalLM extends StateDictModel<LlamaConfig> {
  /** HF's attribute name for the body. */
  readonly model: LlamaModel;
  /** [vocab, hidden]; the same tensor as embed_tokens when the config ties them. */
  readonly lmHeadWeight: Tensor;

  /** Builds the model over `state` (HF names), which must hold exactly the expected shapes. */
  constructor(config: LlamaConfig, state: StateDict) {
    const architecture = LLAMA_FAMILY[config.modelType].causalLM;
    assertShapesMatch(`${architecture} state dict`, llamaShapesFor('causal-lm', config), shapesOf(state));
    super(config, state);
    this.model = new LlamaModel(state, config);
    this.lmHeadWeight = take(state, config.tieWordEmbeddings ? LLAMA_EMBED : LLAMA_LM_HEAD);
  }

  get architecture(): string {
    return LLAMA_FAMILY[this.config.modelType].causalLM;
  }

  /** The transformer body, by the name every family shares. */
  get trunk(): LlamaModel {
    return this.model;
  }

  /** The same model over another state dict of the same shapes (e.g. a frozen copy). */
  withState(state: StateDict): LlamaForCausalLM {
    return new LlamaForCausalLM(this.config, state);
  }

  /** HF's model_type ('llama' or 'qwen2'): picks PEFT's default target modules. */
  get modelType(): string {
    return this.config.modelType;
  }

  /** Every linear layer by its HF module name (what adapters such as LoRA attach to). */
  namedLinears(): Map<string, Linear> {
    return linearsOf(this.model);
  }

  /** Next-token logits for ids [B, T] (int64), with optional mask, positions and KV cache. */
  forward(ids: Tensor, opts: CausalLMForwardOptions = {}): CausalLMOutput {
    return tidy(() => {
      const { hidden, cache } = this.model.forward(ids, opts);
      return {
        logits: this.lmHead(hidden),
        ...(opts.returnHidden ? { hidden } : {}),
        ...(opts.returnCache ? { cache } : {}),
      };
    });
  }

  /** Logits [B, T, vocab] of ids [B, T] under an attention mask [B, T]. */
  logits(ids: Tensor, attentionMask: Tensor): Tensor {
    return this.forward(ids, { attentionMask }).logits;
  }

  /** Final hidden states [.., hidden] → logits [.., vocab]. */
  lmHead(hidden: Tensor): Tensor {
    return linear(hidden, this.lmHeadWeight);
  }

  /** log π(ids_t | ids_<t) where `targetMask` is 1 (see targetLogProbs in ../gptneox/model.ts). */
  targetLogProbs(ids: Tensor, attentionMask: Tensor, targetMask: Tensor): Tensor {
    return targetLogProbs(this, ids, attentionMask, targetMask);
  }

  /** Saves an HF snapshot (config.json, safetensors, and the tokenizer files of `tokenizerDir`). */
  async save(dir: string, opts: SaveOptions = {}): Promise<void> {
    await writeSnapshot(
      dir,
      {
        configJson: (extras) => toLlamaConfigJson(this.config, extras),
        architectures: [this.architecture],
        tensors: [...this.state],
      },
      { tokenizerDir: this.tokenizerDir, ...opts },
    );
  }
}

/**
 * A scalar reward model: the body with HF's sequence-classification head
 * (LlamaForSequenceClassification / Qwen2ForSequenceClassification, num_labels = 1): `score.weight`
 * [1, hidden], no bias, read at each sequence's last real token.
 */
export class LlamaRewardModel extends StateDictModel<LlamaConfig> {
  readonly model: LlamaModel;
  /** [1, hidden]. */
  readonly score: Tensor;
  /** Subtracted from every reward (see GPTNeoXRewardModel.rewardBias); saved in reward_normalization.json. */
  rewardBias = 0;
  rewardBiasSource: Record<string, unknown> = {};

  constructor(config: LlamaConfig, state: StateDict) {
    const architecture = LLAMA_FAMILY[config.modelType].rewardModel;
    assertShapesMatch(`${architecture} state dict`, llamaShapesFor('reward-model', config), shapesOf(state));
    super(config, state);
    this.model = new LlamaModel(state, config);
    this.score = take(state, LLAMA_SCORE_HEAD);
  }

  get architecture(): string {
    return LLAMA_FAMILY[this.config.modelType].rewardModel;
  }

  get trunk(): LlamaModel {
    return this.model;
  }

  /** HF's model_type ('llama' or 'qwen2'): picks PEFT's default target modules. */
  get modelType(): string {
    return this.config.modelType;
  }

  /** Every linear layer by its HF module name (what adapters such as LoRA attach to). */
  namedLinears(): Map<string, Linear> {
    return linearsOf(this.model);
  }

  /** [B] rewards of ids [B, T], each read at the row's last token where attentionMask is 1. */
  rewards(ids: Tensor, attentionMask: Tensor): Tensor {
    return rewardsAtLastToken(this, ids, attentionMask);
  }

  /** Saves an HF snapshot that `AutoModelForSequenceClassification` loads with num_labels = 1. */
  async save(dir: string, opts: SaveOptions = {}): Promise<void> {
    const config = { ...this.config, padTokenId: this.config.padTokenId ?? this.config.eosTokenId };
    await writeSnapshot(
      dir,
      {
        configJson: (extras) => toLlamaConfigJson(config, extras),
        architectures: [this.architecture],
        tensors: [...this.state],
        extraConfig: ONE_LABEL,
      },
      { tokenizerDir: this.tokenizerDir, ...opts },
    );
    await writeRewardNormalization(dir, this);
  }
}
