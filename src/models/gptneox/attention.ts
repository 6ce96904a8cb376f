/**
 * GPT-NeoX self-attention with HF's fused QKV projection. `query_key_value.weight` [3·hidden,
 * hidden] produces, for each head in turn, its query, key and value (q, k, v interleaved per head,
 * not three hidden-wide blocks): the output is viewed as [B, T, heads, 3·head_dim] and split.
 */
import { attention, type Tensor } from '../../tensor/index.ts';
import { type GPTNeoXConfig, headDim, rotaryNdims } from './config.ts';
import { extendLayerCache, type LayerCache } from './kv-cache.ts';
import { Linear } from './modules.ts';
import type { StateDict } from './parameter-layout.ts';
import { applyRotary, type RotaryTables } from './rotary.ts';

/** What every layer's attention shares in one forward pass. */
export interface AttentionContext {
  rotary: RotaryTables;
  /** [B, 1, 1, T_past + T] bool: which key positions are real tokens. */
  keyMask: Tensor;
}

export class SelfAttention {
  readonly queryKeyValue: Linear;
  readonly dense: Linear;
  readonly numHeads: number;
  readonly headDim: number;
  readonly rotaryNdims: number;

  constructor(state: StateDict, prefix: string, c: GPTNeoXConfig) {
    this.queryKeyValue = new Linear(state, `${prefix}.query_key_value`);
    this.dense = new Linear(state, `${prefix}.dense`);
    this.numHeads = c.numAttentionHeads;
    this.headDim = headDim(c);
    this.rotaryNdims = rotaryNdims(c);
  }

  /** x [B, T, hidden] → output [B, T, hidden] and this layer's cache including the new positions. */
  forward(x: Tensor, ctx: AttentionContext, past?: LayerCache): { out: Tensor; cache: LayerCache } {
    const [B, T, hidden] = x.shape as [number, number, number];
    const d = this.headDim;
    const qkv = this.queryKeyValue
      .forward(x)
      .view(B, T, this.numHeads, 3 * d)
      .permute(0, 2, 1, 3);
    const q = applyRotary(qkv.narrow(-1, 0, d), ctx.rotary, this.rotaryNdims);
    const k = applyRotary(qkv.narrow(-1, d, d), ctx.rotary, this.rotaryNdims);
    const cache = extendLayerCache(past, k, qkv.narrow(-1, 2 * d, d));
    const y = attention(q, cache.key, cache.value, { mask: ctx.keyMask, causal: true });
    const merged = y.permute(0, 2, 1, 3).reshape(B, T, hidden);
    return { out: this.dense.forward(merged), cache };
  }
}
