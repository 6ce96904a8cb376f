/**
 * Where the decoding loop gets next-token logits from: the KV-cached model (each step runs only the
 * new token) or, to test the cache, the whole sequence recomputed every step. Both see the same
 * tokens, mask and positions, so they must give the same logits.
 */
import { cat, keep, ones, type Tensor } from '../../tensor/index.ts';
import { disposeCache, type KVCache } from '../gptneox/model.ts';
import type { CausalLM } from '../model-family.ts';

export interface NextTokenLogits {
  /** Logits [B, V] of the token after the (left-padded) prompts ids [B, P] with mask [B, P]. */
  start(ids: Tensor, mask: Tensor): Tensor;
  /** Logits [B, V] after appending `tokens` [B, 1] (every appended position counts as a real token). */
  advance(tokens: Tensor): Tensor;
  /** Frees what the source holds between steps. */
  dispose(): void;
}

/** The last position's logits [B, V], running the LM head on that position only. */
function lastLogits(model: CausalLM, hidden: Tensor): Tensor {
  return model.lmHead(hidden.narrow(1, hidden.dim(1) - 1, 1).squeeze(1));
}

function appendOnes(mask: Tensor): Tensor {
  return cat([mask, ones([mask.dim(0), 1], { dtype: mask.dtype, device: mask.device })], 1);
}

/** Incremental decoding through the KV cache. */
export class CachedLogits implements NextTokenLogits {
  private cache: KVCache | null = null;
  private mask: Tensor | null = null;

  constructor(private readonly model: CausalLM) {}

  start(ids: Tensor, mask: Tensor): Tensor {
    return this.run(ids, keep(mask.clone()));
  }

  advance(tokens: Tensor): Tensor {
    if (!this.mask) throw new Error('advance() before start()');
    return this.run(tokens, keep(appendOnes(this.mask)));
  }

  private run(ids: Tensor, mask: Tensor): Tensor {
    const out = this.model.trunk.forward(ids, { attentionMask: mask, cache: this.cache });
    this.dispose();
    this.cache = out.cache.map((layer) => ({ key: keep(layer.key), value: keep(layer.value) }));
    this.mask = mask;
    return lastLogits(this.model, out.hidden);
  }

  dispose(): void {
    disposeCache(this.cache);
    this.mask?.dispose();
    this.cache = null;
    this.mask = null;
  }
}

/** Recomputes the full sequence every step (reference for the cache; quadratic cost). */
export class UncachedLogits implements NextTokenLogits {
  private ids: Tensor | null = null;
  private mask: Tensor | null = null;

  constructor(private readonly model: CausalLM) {}

  start(ids: Tensor, mask: Tensor): Tensor {
    return this.run(keep(ids.clone()), keep(mask.clone()));
  }

  advance(tokens: Tensor): Tensor {
    if (!this.ids || !this.mask) throw new Error('advance() before start()');
    return this.run(keep(cat([this.ids, tokens], 1)), keep(appendOnes(this.mask)));
  }

  private run(ids: Tensor, mask: Tensor): Tensor {
    this.dispose();
    this.ids = ids;
    this.mask = mask;
    return lastLogits(this.model, this.model.trunk.forward(ids, { attentionMask: mask }).hidden);
  }

  dispose(): void {
    this.ids?.dispose();
    this.mask?.dispose();
    this.ids = null;
    this.mask = null;
  }
}
