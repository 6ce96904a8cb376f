/**
 * The key/value cache of incremental decoding: per layer, the rotated keys and the values of every
 * position seen so far, [B, heads, T_past, head_dim]. Functional: a forward pass returns a new cache.
 */
import { cat, dispose, type Tensor } from '../../tensor/index.ts';

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
export function extendLayerCache(past: LayerCache | undefined, key: Tensor, value: Tensor): LayerCache {
  if (!past) return { key, value };
  return { key: cat([past.key, key], 2), value: cat([past.value, value], 2) };
}

/** Frees every tensor of a cache. */
export function disposeCache(cache: KVCache | null | undefined): void {
  dispose(cache ?? []);
}
