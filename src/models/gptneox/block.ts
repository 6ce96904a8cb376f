/** One transformer layer (HF's GPTNeoXLayer), with parallel or sequential residuals. */
import type { Tensor } from '../../tensor/index.ts';
import { type AttentionContext, SelfAttention } from './attention.ts';
import type { GPTNeoXConfig } from './config.ts';
import type { LayerCache } from './kv-cache.ts';
import { MLP } from './mlp.ts';
import { LayerNorm } from './modules.ts';
import type { StateDict } from './parameter-layout.ts';

export class Block {
  readonly inputLayernorm: LayerNorm;
  readonly postAttentionLayernorm: LayerNorm;
  readonly attention: SelfAttention;
  readonly mlp: MLP;
  readonly parallelResidual: boolean;

  constructor(state: StateDict, prefix: string, c: GPTNeoXConfig) {
    this.inputLayernorm = new LayerNorm(state, `${prefix}.input_layernorm`, c.layerNormEps);
    this.postAttentionLayernorm = new LayerNorm(state, `${prefix}.post_attention_layernorm`, c.layerNormEps);
    this.attention = new SelfAttention(state, `${prefix}.attention`, c);
    this.mlp = new MLP(state, `${prefix}.mlp`, c);
    this.parallelResidual = c.useParallelResidual;
  }

  /**
   * Parallel:   x + attn(ln1(x)) + mlp(ln2(x))
   * Sequential: h = x + attn(ln1(x)); h + mlp(ln2(h))
   */
  forward(x: Tensor, ctx: AttentionContext, past?: LayerCache): { out: Tensor; cache: LayerCache } {
    const { out: attn, cache } = this.attention.forward(this.inputLayernorm.forward(x), ctx, past);
    if (this.parallelResidual) {
      const mlp = this.mlp.forward(this.postAttentionLayernorm.forward(x));
      return { out: x.add(attn).add(mlp), cache };
    }
    const h = x.add(attn);
    return { out: h.add(this.mlp.forward(this.postAttentionLayernorm.forward(h))), cache };
  }
}
