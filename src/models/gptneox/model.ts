/**
 * The GPT-NeoX transformer body (HF's GPTNeoXModel): token embedding, layers, final layer norm.
 * Handles padding through the attention mask (keys that are padding are never attended to and
 * positions count from each row's first real token) and incremental decoding through a KV cache.
 */
import { embedding, ones, type Tensor } from '../../tensor/index.ts';
import { Block } from './block.ts';
import { type GPTNeoXConfig, rotaryNdims } from './config.ts';
import { cacheLength, type KVCache } from './kv-cache.ts';
import { LayerNorm } from './modules.ts';
import { EMBED_IN, layerPrefix, type StateDict, TRUNK_PREFIX, take } from './parameter-layout.ts';
import { positionIdsFromMask } from './positions.ts';
import { rotaryTables } from './rotary.ts';

export interface TrunkOptions {
  /** [B, T_past + T], 1 = real token; default all ones. */
  attentionMask?: Tensor;
  /** [B, T] int64; default derived from the mask (cumsum − 1, clamped at 0). */
  positionIds?: Tensor;
  /** Keys/values of the T_past earlier positions. */
  cache?: KVCache | null;
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
    const [B, T] = ids.shape as [number, number];
    const past = cacheLength(opts.cache);
    const mask = opts.attentionMask ?? ones([B, past + T], { dtype: 'int64', device: ids.device });
    checkMaskShape(mask, B, past + T);
    const positions = opts.positionIds ?? positionIdsFromMask(mask).narrow(1, past, T);
    const ctx = {
      rotary: rotaryTables(
        positions,
        rotaryNdims(this.config),
        this.config.rotaryEmbBase,
        this.embedIn.dtype,
      ),
      keyMask: mask.ne(0).view(B, 1, 1, past + T),
    };
    let x = embedding(this.embedIn, ids);
    const cache: KVCache = [];
    this.layers.forEach((layer, i) => {
      const step = layer.forward(x, ctx, opts.cache?.[i]);
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
