/**
 * GPT-NeoX (Pythia), as HF's modeling_gpt_neox.py computes it, in one file from token ids to logits:
 *
 *   ids → embed_in → [layer: x + attention(ln1(x)) + mlp(ln2(x))] × L → final_layer_norm → hidden
 *   hidden → embed_out → logits        (GPTNeoXForCausalLM)
 *   hidden at the last real token → score → reward      (GPTNeoXForSequenceClassification, 1 label)
 *
 * Padding is handled through the attention mask (padding keys are never attended to; positions
 * count from each row's first real token) and incremental decoding through a KV cache. The last
 * section scores responses, log π(y_t | x, y_<t) and the entropy of π(· | x, y_<t), through
 * TokenDistribution (../token-distribution.ts): the one scoring path that training, sampling and
 * the tests share.
 *
 * Every parameter is an HF-named tensor of a state dict (names and shapes: parameter-layout.ts);
 * config.json parsing, initialisation and checkpoint I/O live beside this file.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomically } from '../../io/atomic-write.ts';
import {
  arange,
  attention,
  cat,
  type DType,
  dispose,
  embedding,
  keep,
  layerNorm,
  linear,
  ones,
  type Tensor,
  tensor,
  tidy,
  zeros,
} from '../../tensor/index.ts';
import { TokenDistribution } from '../token-distribution.ts';
import { type GPTNeoXConfig, geluApproximation, headDim, rotaryNdims } from './config.ts';
import {
  causalLMShapes,
  EMBED_IN,
  LM_HEAD,
  layerPrefix,
  rewardModelShapes,
  SCORE_HEAD,
  type StateDict,
  TRUNK_PREFIX,
  take,
  takeOptional,
} from './parameter-layout.ts';
import { REWARD_NORMALIZATION_FILE } from './snapshot-files.ts';
import { assertShapesMatch } from './state-dict-check.ts';
import { type SaveOptions, writeSnapshot } from './write-snapshot.ts';

// ---- building blocks ----

/** y = x·Wᵀ + b, W [out, in] (nn.Linear). */
export class Linear {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(state: StateDict, name: string) {
    this.weight = take(state, `${name}.weight`);
    this.bias = takeOptional(state, `${name}.bias`);
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}

/** Layer normalisation over the last dim with affine weight and bias (nn.LayerNorm). */
export class LayerNorm {
  readonly weight: Tensor;
  readonly bias: Tensor;
  readonly eps: number;

  constructor(state: StateDict, name: string, eps: number) {
    this.weight = take(state, `${name}.weight`);
    this.bias = take(state, `${name}.bias`);
    this.eps = eps;
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, [this.weight.dim(0)], this.weight, this.bias, this.eps);
  }
}

// ---- positions from the attention mask (1 = real token, 0 = padding) ----

/** Position ids cumsum(mask) − 1, clamped at 0: each row counts from its first real token. */
export function positionIdsFromMask(mask: Tensor): Tensor {
  return mask.long().cumsum(1).sub(1).clamp(0);
}

/** [B] int64 index of each row's last real token (0 for a row without any). */
export function lastTokenIndex(mask: Tensor): Tensor {
  const columns = arange(0, mask.dim(1), 1, { device: mask.device });
  return columns.mul(mask.ne(0).long()).argmax(1);
}

// ---- rotary position embeddings ----
// Only the first `rotaryNdims` dims of each head rotate, with HF's rotate_half convention (pairs
// (i, i + rot/2), not interleaved pairs).

/** cos and sin of every position's angles, [B, 1, T, rot] (broadcast over heads). */
export interface RotaryTables {
  cos: Tensor;
  sin: Tensor;
}

/** Inverse-frequency tables by rot, base and device: a few tiny constants, made once per process. */
const inverseFrequencyTables = new Map<string, Tensor>();

/**
 * θ_i = base^(−2i/rot) for i < rot/2, computed in double precision and stored as float32. Made
 * once (a table of constants, not an op of each forward pass), which a recorded decode step
 * (recorded-decode.ts) also needs: data written from JavaScript is not an op the tracer can replay.
 */
function inverseFrequencies(rot: number, base: number, device: string): Tensor {
  const key = `${rot}/${base}/${device}`;
  let table = inverseFrequencyTables.get(key);
  if (!table) {
    const freqs = Array.from({ length: rot / 2 }, (_, i) => 1 / base ** ((2 * i) / rot));
    table = keep(tensor(freqs, { dtype: 'float32', device }));
    inverseFrequencyTables.set(key, table);
  }
  return table;
}

/** Tables for integer position ids [B, T], angles in float32 (as HF) then cast to `dtype`. */
export function rotaryTables(positionIds: Tensor, rot: number, base: number, dtype: DType): RotaryTables {
  const angles = positionIds
    .float()
    .unsqueeze(-1)
    .mul(inverseFrequencies(rot, base, positionIds.device));
  const emb = cat([angles, angles], -1).unsqueeze(1);
  return { cos: emb.cos().to(dtype), sin: emb.sin().to(dtype) };
}

/** (x1, x2) → (−x2, x1) on the two halves of the last dim. */
function rotateHalf(x: Tensor): Tensor {
  const half = x.dim(-1) / 2;
  return cat([x.narrow(-1, half, half).neg(), x.narrow(-1, 0, half)], -1);
}

/** Rotates the first `rot` dims of x [B, H, T, D]; the remaining D − rot dims pass through. */
export function applyRotary(x: Tensor, { cos, sin }: RotaryTables, rot: number): Tensor {
  if (rot === 0) return x;
  const d = x.dim(-1);
  const xRot = x.narrow(-1, 0, rot);
  const rotated = xRot.mul(cos).add(rotateHalf(xRot).mul(sin));
  return rot === d ? rotated : cat([rotated, x.narrow(-1, rot, d - rot)], -1);
}

// ---- the key/value cache of incremental decoding ----
// Per layer, the rotated keys and the values of every position seen so far, [B, heads, T_past,
// head_dim]. Two kinds: a growing cache, where a forward pass returns a new cache extended by
// concatenation, and a static cache, preallocated for every position of a generation
// ([B, heads, S, head_dim]), where a forward pass writes its positions in place and attends over the
// whole buffer through a mask (no copying per token, and the same shapes at every step).

/** One layer's cached keys (already rotated) and values. */
export interface LayerCache {
  key: Tensor;
  value: Tensor;
}

/** One entry per layer. */
export type KVCache = LayerCache[];

/** Positions held by the cache (0 for none). */
export function cacheLength(cache: KVCache | null | undefined): number {
  return cache?.[0]?.key.dim(2) ?? 0;
}

/** The past keys/values followed by the new ones along the time dim. */
function extendLayerCache(past: LayerCache | undefined, key: Tensor, value: Tensor): LayerCache {
  if (!past) return { key, value };
  return { key: cat([past.key, key], 2), value: cat([past.value, value], 2) };
}

/**
 * A static cache for `rows` sequences of `length` positions: zeros, one buffer
 * [layers, 2, rows, heads, length, head_dim] viewed per layer (bytes: staticCacheBytes).
 */
export function allocateStaticCache(
  config: GPTNeoXConfig,
  rows: number,
  length: number,
  opts: { dtype: DType; device: string },
): KVCache {
  const buffer = zeros(
    [config.numHiddenLayers, 2, rows, config.numAttentionHeads, length, headDim(config)],
    opts,
  );
  const cache = Array.from({ length: config.numHiddenLayers }, (_, i) => ({
    key: buffer.select(0, i).select(0, 0),
    value: buffer.select(0, i).select(0, 1),
  }));
  buffer.dispose(); // the views keep the storage
  return cache;
}

/** Bytes of a static cache: keys and values of every layer, rows × length positions. */
export function staticCacheBytes(
  config: GPTNeoXConfig,
  rows: number,
  length: number,
  bytesPerValue: number,
): number {
  return 2 * config.numHiddenLayers * rows * length * config.hiddenSize * bytesPerValue;
}

/** Writes the new positions' keys and values into a static cache at `slots` (in place). */
function writeLayerCache(buffers: LayerCache, key: Tensor, value: Tensor, slots: Tensor): LayerCache {
  buffers.key.indexCopy_(2, slots, key);
  buffers.value.indexCopy_(2, slots, value);
  return buffers;
}

/** Frees every tensor of a cache. */
export function disposeCache(cache: KVCache | null | undefined): void {
  dispose(cache ?? []);
}

// ---- attention, MLP, layer ----

/** What every layer's attention shares in one forward pass. */
interface AttentionContext {
  rotary: RotaryTables;
  /** [B, 1, 1, T_past + T] bool: which key positions are real tokens ([B, 1, T, S] for a static cache). */
  keyMask: Tensor;
  /** Causal masking aligned to the end (default; off for a static cache, whose mask holds it). */
  causal?: boolean;
  /** Static cache: [T] int64 buffer positions the new keys and values are written to. */
  slots?: Tensor;
}

/**
 * Self-attention with HF's fused QKV projection: `query_key_value.weight` [3·hidden, hidden]
 * produces, for each head in turn, its query, key and value (interleaved per head, not three
 * hidden-wide blocks), so the output is viewed as [B, T, heads, 3·head_dim] and split.
 */
export class SelfAttention {
  readonly queryKeyValue: Linear;
  readonly dense: Linear;
  readonly numHeads: number;
  readonly headDim: number;
  readonly rotaryNdims: number;

  constructor(state: StateDict, prefix: string, config: GPTNeoXConfig) {
    this.queryKeyValue = new Linear(state, `${prefix}.query_key_value`);
    this.dense = new Linear(state, `${prefix}.dense`);
    this.numHeads = config.numAttentionHeads;
    this.headDim = headDim(config);
    this.rotaryNdims = rotaryNdims(config);
  }

  /** x [B, T, hidden] → output [B, T, hidden] and this layer's cache including the new positions. */
  forward(x: Tensor, context: AttentionContext, past?: LayerCache): { out: Tensor; cache: LayerCache } {
    const [B, T, hidden] = x.shape as [number, number, number];
    const d = this.headDim;
    const qkv = this.queryKeyValue
      .forward(x)
      .view(B, T, this.numHeads, 3 * d)
      .permute(0, 2, 1, 3);
    const q = applyRotary(qkv.narrow(-1, 0, d), context.rotary, this.rotaryNdims);
    const k = applyRotary(qkv.narrow(-1, d, d), context.rotary, this.rotaryNdims);
    const v = qkv.narrow(-1, 2 * d, d);
    const cache = context.slots ? writeLayerCache(past!, k, v, context.slots) : extendLayerCache(past, k, v);
    const y = attention(q, cache.key, cache.value, { mask: context.keyMask, causal: context.causal ?? true });
    const merged = y.permute(0, 2, 1, 3).reshape(B, T, hidden);
    return { out: this.dense.forward(merged), cache };
  }
}

/** The feed-forward block: dense_4h_to_h(gelu(dense_h_to_4h(x))). */
export class MLP {
  readonly denseHTo4h: Linear;
  readonly dense4hToH: Linear;
  readonly approximate: 'none' | 'tanh';

  constructor(state: StateDict, prefix: string, config: GPTNeoXConfig) {
    this.denseHTo4h = new Linear(state, `${prefix}.dense_h_to_4h`);
    this.dense4hToH = new Linear(state, `${prefix}.dense_4h_to_h`);
    this.approximate = geluApproximation(config.hiddenAct);
  }

  forward(x: Tensor): Tensor {
    return this.dense4hToH.forward(this.denseHTo4h.forward(x).gelu(this.approximate));
  }
}

/** One transformer layer (HF's GPTNeoXLayer), with parallel or sequential residuals. */
export class Block {
  readonly inputLayernorm: LayerNorm;
  readonly postAttentionLayernorm: LayerNorm;
  readonly attention: SelfAttention;
  readonly mlp: MLP;
  readonly parallelResidual: boolean;

  constructor(state: StateDict, prefix: string, config: GPTNeoXConfig) {
    this.inputLayernorm = new LayerNorm(state, `${prefix}.input_layernorm`, config.layerNormEps);
    this.postAttentionLayernorm = new LayerNorm(
      state,
      `${prefix}.post_attention_layernorm`,
      config.layerNormEps,
    );
    this.attention = new SelfAttention(state, `${prefix}.attention`, config);
    this.mlp = new MLP(state, `${prefix}.mlp`, config);
    this.parallelResidual = config.useParallelResidual;
  }

  /**
   * Parallel:   x + attn(ln1(x)) + mlp(ln2(x))
   * Sequential: h = x + attn(ln1(x)); h + mlp(ln2(h))
   */
  forward(x: Tensor, context: AttentionContext, past?: LayerCache): { out: Tensor; cache: LayerCache } {
    const { out: attn, cache } = this.attention.forward(this.inputLayernorm.forward(x), context, past);
    if (this.parallelResidual) {
      const mlp = this.mlp.forward(this.postAttentionLayernorm.forward(x));
      return { out: x.add(attn).add(mlp), cache };
    }
    const h = x.add(attn);
    return { out: h.add(this.mlp.forward(this.postAttentionLayernorm.forward(h))), cache };
  }
}

// ---- the transformer body (HF's GPTNeoXModel) ----

export interface TrunkOptions {
  /** [B, T_past + T], 1 = real token; default all ones. */
  attentionMask?: Tensor;
  /** [B, T] int64; default derived from the mask (cumsum − 1, clamped at 0). */
  positionIds?: Tensor;
  /** Keys/values of the T_past earlier positions. */
  cache?: KVCache | null;
  /** Write into a static cache instead (then `cache`, `attentionMask` are unused; positionIds required). */
  staticCache?: StaticCacheWrite;
}

/** A forward pass through a static cache (see allocateStaticCache). */
export interface StaticCacheWrite {
  /** The buffers, [B, heads, S, head_dim] per layer; written in place at `slots`. */
  cache: KVCache;
  /** [T] int64: the buffer positions of the T new tokens. */
  slots: Tensor;
  /** [B, 1, T, S] bool: the buffer positions each new token attends to (causality included). */
  attends: Tensor;
}

export interface TrunkOutput {
  /** [B, T, hidden] after the final layer norm. */
  hidden: Tensor;
  /** The cache extended by these T positions. */
  cache: KVCache;
}

export class GPTNeoXModel {
  readonly config: GPTNeoXConfig;
  readonly embedIn: Tensor;
  readonly layers: Block[];
  readonly finalLayerNorm: LayerNorm;

  constructor(state: StateDict, config: GPTNeoXConfig) {
    this.config = config;
    this.embedIn = take(state, EMBED_IN);
    this.layers = Array.from(
      { length: config.numHiddenLayers },
      (_, i) => new Block(state, layerPrefix(i), config),
    );
    this.finalLayerNorm = new LayerNorm(state, `${TRUNK_PREFIX}.final_layer_norm`, config.layerNormEps);
  }

  /** ids [B, T] int64 → final hidden states [B, T, hidden] and the extended cache. */
  forward(ids: Tensor, opts: TrunkOptions = {}): TrunkOutput {
    if (opts.staticCache) return this.run(ids, this.staticContext(opts), opts.staticCache.cache);
    const [B, T] = ids.shape as [number, number];
    const past = cacheLength(opts.cache);
    const mask = opts.attentionMask ?? ones([B, past + T], { dtype: 'int64', device: ids.device });
    checkMaskShape(mask, B, past + T);
    const positions = opts.positionIds ?? positionIdsFromMask(mask).narrow(1, past, T);
    const context: AttentionContext = {
      rotary: rotaryTables(
        positions,
        rotaryNdims(this.config),
        this.config.rotaryEmbBase,
        this.embedIn.dtype,
      ),
      keyMask: mask.ne(0).view(B, 1, 1, past + T),
    };
    return this.run(ids, context, opts.cache);
  }

  private staticContext(opts: TrunkOptions): AttentionContext {
    const { slots, attends } = opts.staticCache!;
    if (!opts.positionIds) throw new Error('a static-cache forward needs positionIds');
    return {
      rotary: rotaryTables(
        opts.positionIds,
        rotaryNdims(this.config),
        this.config.rotaryEmbBase,
        this.embedIn.dtype,
      ),
      keyMask: attends,
      causal: false,
      slots,
    };
  }

  private run(ids: Tensor, context: AttentionContext, past: KVCache | null | undefined): TrunkOutput {
    let x = embedding(this.embedIn, ids);
    const cache: KVCache = [];
    this.layers.forEach((layer, i) => {
      // A layer's temporaries are freed when it ends: a no-grad pass holds one layer's working set
      // (autograd keeps what backward needs on its own).
      const step = tidy(() => layer.forward(x, context, past?.[i]));
      x = step.out;
      cache.push(step.cache);
    });
    return { hidden: this.finalLayerNorm.forward(x), cache };
  }
}

function checkMaskShape(mask: Tensor, batch: number, keys: number): void {
  const [b, k] = mask.shape;
  if (mask.rank !== 2 || b !== batch || k !== keys)
    throw new Error(
      `attention mask must be [${batch}, ${keys}] (batch, past + new positions), got [${mask.shape}]`,
    );
}

// ---- the two models: a trunk and a head over one state dict ----

/** What both models share: they own a state dict of HF-named tensors and a config. */
abstract class StateDictModel {
  readonly config: GPTNeoXConfig;
  /** The tensors by HF name; the modules hold the same tensors. */
  protected readonly state: StateDict;
  /** A folder whose tokenizer files `save` copies into every snapshot (set when loaded from one). */
  tokenizerDir: string | null = null;

  protected constructor(config: GPTNeoXConfig, state: StateDict) {
    this.config = config;
    this.state = state;
  }

  /** The parameters by HF name (the live tensors, not copies). */
  parameters(): Map<string, Tensor> {
    return new Map(this.state);
  }

  /** Turns gradient recording for every parameter on or off. */
  setTrainable(on = true): this {
    for (const t of this.state.values()) t.requiresGrad_(on);
    return this;
  }

  get dtype(): DType {
    return take(this.state, EMBED_IN).dtype;
  }

  get device(): string {
    return take(this.state, EMBED_IN).device;
  }

  /** Frees every parameter now. */
  dispose(): void {
    dispose([...this.state.values()]);
  }
}

export function shapesOf(state: StateDict): Map<string, number[]> {
  return new Map([...state].map(([name, t]) => [name, t.shape]));
}

export interface CausalLMForwardOptions extends TrunkOptions {
  /** Also return the final hidden states [B, T, hidden]. */
  returnHidden?: boolean;
  /** Also return the cache extended by these positions (incremental decoding). */
  returnCache?: boolean;
}

export interface CausalLMOutput {
  /** [B, T, vocab] in the model's dtype. */
  logits: Tensor;
  hidden?: Tensor;
  cache?: KVCache;
}

/** GPT-NeoX with its language-modelling head (HF's GPTNeoXForCausalLM). */
export class GPTNeoXForCausalLM extends StateDictModel {
  static readonly architecture = 'GPTNeoXForCausalLM';
  readonly gptNeox: GPTNeoXModel;
  /** [vocab, hidden]; the same tensor as embed_in when the config ties them. */
  readonly embedOut: Tensor;

  /** Builds the model over `state` (HF names), which must hold exactly the expected shapes. */
  constructor(config: GPTNeoXConfig, state: StateDict) {
    assertShapesMatch('GPTNeoXForCausalLM state dict', causalLMShapes(config), shapesOf(state));
    super(config, state);
    this.gptNeox = new GPTNeoXModel(state, config);
    this.embedOut = take(state, config.tieWordEmbeddings ? EMBED_IN : LM_HEAD);
  }

  /** Next-token logits for ids [B, T] (int64), with optional mask, positions and KV cache. */
  forward(ids: Tensor, opts: CausalLMForwardOptions = {}): CausalLMOutput {
    return tidy(() => {
      const { hidden, cache } = this.gptNeox.forward(ids, opts);
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
    return linear(hidden, this.embedOut);
  }

  /** log π(ids_t | ids_<t) where `targetMask` is 1, logits only there (see {@link targetLogProbs}). */
  targetLogProbs(ids: Tensor, attentionMask: Tensor, targetMask: Tensor): Tensor {
    return targetLogProbs(this, ids, attentionMask, targetMask);
  }

  /** Saves an HF snapshot (config.json, safetensors, and the tokenizer files of `tokenizerDir`). */
  async save(dir: string, opts: SaveOptions = {}): Promise<void> {
    await writeSnapshot(
      dir,
      { config: this.config, architectures: [GPTNeoXForCausalLM.architecture], tensors: [...this.state] },
      { tokenizerDir: this.tokenizerDir, ...opts },
    );
  }
}

/** config.json keys HF needs for a one-label classifier. */
const ONE_LABEL = { id2label: { '0': 'LABEL_0' }, label2id: { LABEL_0: 0 } };

/**
 * A scalar reward model: GPT-NeoX with HF's sequence-classification head
 * (GPTNeoXForSequenceClassification, num_labels = 1): `score.weight` [1, hidden], no bias, read at
 * each sequence's last real token.
 */
export class GPTNeoXRewardModel extends StateDictModel {
  static readonly architecture = 'GPTNeoXForSequenceClassification';
  readonly gptNeox: GPTNeoXModel;
  /** [1, hidden]. */
  readonly score: Tensor;
  /**
   * Subtracted from every reward: the mean reward on reference responses, so that a reference
   * summary scores 0 on average (Huang et al. 2024, the TL;DR PPO work's reward normalisation).
   * Saved beside the weights in reward_normalization.json when non-zero.
   */
  rewardBias = 0;
  /** Where the bias was measured (recorded in reward_normalization.json). */
  rewardBiasSource: Record<string, unknown> = {};

  constructor(config: GPTNeoXConfig, state: StateDict) {
    assertShapesMatch(
      'GPTNeoXForSequenceClassification state dict',
      rewardModelShapes(config),
      shapesOf(state),
    );
    super(config, state);
    this.gptNeox = new GPTNeoXModel(state, config);
    this.score = take(state, SCORE_HEAD);
  }

  /** [B] rewards of ids [B, T], each read at the row's last token where attentionMask is 1. */
  rewards(ids: Tensor, attentionMask: Tensor): Tensor {
    return tidy(() => {
      const { hidden } = this.gptNeox.forward(ids, { attentionMask });
      const last = lastTokenIndex(attentionMask).view(-1, 1, 1).expand(hidden.dim(0), 1, hidden.dim(2));
      // The head in float32 (a no-op for float32 models): a bf16 reward would keep 3 digits.
      const rewards = linear(hidden.gather(1, last).squeeze(1).float(), this.score.float()).squeeze(1);
      return this.rewardBias === 0 ? rewards : rewards.sub(this.rewardBias);
    });
  }

  /** Saves an HF snapshot that `AutoModelForSequenceClassification` loads with num_labels = 1. */
  async save(dir: string, opts: SaveOptions = {}): Promise<void> {
    const padTokenId = this.config.padTokenId ?? this.config.eosTokenId;
    await writeSnapshot(
      dir,
      {
        config: { ...this.config, padTokenId },
        architectures: [GPTNeoXRewardModel.architecture],
        tensors: [...this.state],
        extraConfig: ONE_LABEL,
      },
      { tokenizerDir: this.tokenizerDir, ...opts },
    );
    const normalization = join(dir, REWARD_NORMALIZATION_FILE);
    if (this.rewardBias !== 0)
      await writeFileAtomically(normalization, (sink) =>
        sink.write(
          new TextEncoder().encode(
            `${JSON.stringify({ bias: this.rewardBias, ...this.rewardBiasSource }, null, 2)}\n`,
          ),
        ),
      );
    else await rm(normalization, { force: true });
  }
}

// ---- scoring responses ----

export interface ResponseScoreOptions {
  /** Divide logits by this before scoring (the sampling temperature; default 1). */
  temperature?: number;
  /** Also return the per-token entropy of the (tempered) distribution. */
  entropy?: boolean;
  /** Also return log π(· | x, y_<t) over the whole vocabulary, [B, R, V]. */
  logProbsAll?: boolean;
  /** Also return the final hidden states of the positions that predict the response, [B, R, hidden]. */
  hidden?: boolean;
}

export interface ResponseScores {
  /** [B, R] float32 log π(y_t | x, y_<t). */
  logProbs: Tensor;
  entropy?: Tensor;
  logProbsAll?: Tensor;
  hidden?: Tensor;
}

/**
 * log π(ids_t | ids_<t) for sequences ids [B, T] under attentionMask [B, T], as [B, T − 1] for
 * t = 1 … T − 1, at the positions where targetMask [B, T − 1] is non-zero and 0 elsewhere. Only
 * those positions go through the LM head (for SFT and DPO: the completion tokens, not the prompt),
 * so the logits are [N, V] for N target tokens instead of [B, T, V].
 */
export function targetLogProbs(
  model: GPTNeoXForCausalLM,
  ids: Tensor,
  attentionMask: Tensor,
  targetMask: Tensor,
): Tensor {
  const [B, T] = ids.shape as [number, number];
  if (targetMask.rank !== 2 || targetMask.dim(0) !== B || targetMask.dim(1) !== T - 1)
    throw new Error(`targetMask must be [${B}, ${T - 1}] (positions 1 … T−1), got [${targetMask.shape}]`);
  const flatMask = targetMask.reshape(-1).toArray();
  const positions = flatMask.flatMap((m, i) => (m !== 0 ? [i] : []));
  return tidy(() => {
    const out = zeros([B * (T - 1)], { device: ids.device });
    if (positions.length === 0) return out.reshape(B, T - 1);
    const { hidden } = model.gptNeox.forward(ids, { attentionMask });
    const index = tensor(positions, { dtype: 'int64', device: ids.device });
    const predicting = hidden
      .narrow(1, 0, T - 1)
      .reshape(B * (T - 1), hidden.dim(2))
      .indexSelect(0, index);
    const targets = ids
      .narrow(1, 1, T - 1)
      .reshape(-1)
      .indexSelect(0, index);
    const logps = new TokenDistribution(model.lmHead(predicting)).logProb(targets);
    return out.scatter(0, index, logps).reshape(B, T - 1);
  });
}

/**
 * Scores the response part of sequences ids [B, T] = prompt (left-padded, `responseStart` columns)
 * followed by R = T − responseStart response tokens, under attentionMask [B, T]. Only the R positions
 * that predict response tokens go through the LM head, so logits are [B, R, V], never [B, T, V].
 */
export function responseLogProbs(
  model: GPTNeoXForCausalLM,
  ids: Tensor,
  attentionMask: Tensor,
  responseStart: number,
  opts: ResponseScoreOptions = {},
): ResponseScores {
  const T = ids.dim(1);
  const R = T - responseStart;
  if (responseStart < 1 || R < 1)
    throw new Error(
      `responseStart must be in [1, ${T - 1}] for sequences of length ${T}, got ${responseStart}`,
    );
  return tidy(() => {
    const { hidden } = model.gptNeox.forward(ids, { attentionMask });
    const predicting = hidden.narrow(1, responseStart - 1, R);
    let logits = model.lmHead(predicting);
    if (opts.temperature !== undefined && opts.temperature !== 1)
      logits = logits.float().div(opts.temperature);
    const distribution = new TokenDistribution(logits);
    // One fused pass over the vocabulary for the log-probs and the entropies (and their backward).
    const scored = distribution.score(ids.narrow(1, responseStart, R));
    return {
      logProbs: scored.logProb,
      ...(opts.entropy ? { entropy: scored.entropy } : {}),
      ...(opts.logProbsAll ? { logProbsAll: distribution.logProbsAll() } : {}),
      ...(opts.hidden ? { hidden: predicting } : {}),
    };
  });
}
