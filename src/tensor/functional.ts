/** Free-function ops that take several tensors (the rest are methods on Tensor). */
import { native } from '../native/binding.ts';
import type { Generator } from './random.ts';
import { type Scalar, type Tensor, type TensorLike, wrap } from './tensor.ts';

const h = (t: Tensor) => t.handle;
const arg = (x: TensorLike) => (typeof x === 'object' ? x.handle : x);

export function cat(tensors: Tensor[], dim = 0): Tensor {
  return wrap(native.cat(tensors.map(h), dim));
}
export function stack(tensors: Tensor[], dim = 0): Tensor {
  return wrap(native.stack(tensors.map(h), dim));
}
/** Elementwise cond ? a : b (broadcast). */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  return wrap(native.where(cond.handle, arg(a), arg(b)));
}
/** x·Wᵀ + b, W of shape [out, in] (torch.nn.functional.linear). */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  return wrap(native.linear(x.handle, weight.handle, bias ? bias.handle : null));
}
/** Layer normalisation over the trailing dims `normalizedShape`. */
export function layerNorm(
  x: Tensor,
  normalizedShape: number[],
  weight?: Tensor | null,
  bias?: Tensor | null,
  eps = 1e-5,
): Tensor {
  return wrap(
    native.layerNorm(
      x.handle,
      normalizedShape,
      weight ? weight.handle : null,
      bias ? bias.handle : null,
      eps,
    ),
  );
}
/** Rows of `weight` [num, dim] selected by integer `indices`. */
export function embedding(weight: Tensor, indices: Tensor): Tensor {
  return wrap(native.embedding(weight.handle, indices.handle));
}
/**
 * Scaled dot-product attention softmax(q·kᵀ/√d + mask)·v over [B, H, T, D]; `mask` is boolean
 * (true = may attend), broadcast to [B, H, Tq, Tk]; `causal` adds the lower-triangular mask
 * (aligned to the end when Tq < Tk, as with a KV cache). Fully masked rows yield zeros.
 */
export function attention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  opts: { mask?: Tensor | null; causal?: boolean } = {},
): Tensor {
  return wrap(
    native.attention(q.handle, k.handle, v.handle, opts.mask ? opts.mask.handle : null, opts.causal ?? false),
  );
}
/** Mean (or sum/none) cross-entropy of logits [N, C] against int64 targets [N]. */
export function crossEntropy(
  logits: Tensor,
  target: Tensor,
  opts: { ignoreIndex?: number; reduction?: 'none' | 'mean' | 'sum' } = {},
): Tensor {
  const reduction = { none: 0, mean: 1, sum: 2 }[opts.reduction ?? 'mean'];
  return wrap(native.crossEntropy(logits.handle, target.handle, opts.ignoreIndex ?? -100, reduction));
}
/**
 * One pass over the vocabulary per row (native/src/token-scores.cc) for logits [.., V] and int64
 * targets [..]: log softmax(logits)[target], the entropy −Σ p log p (tokens at −∞ contribute 0) and
 * log Σ exp(logits), each [..], float32 (float64 for float64 logits; bf16/half are accumulated in
 * float32 or wider). Differentiable in logits (a fused backward; no [.., V] softmax is kept).
 */
export function tokenScores(
  logits: Tensor,
  targets: Tensor,
): { logProb: Tensor; entropy: Tensor; logNormalizer: Tensor } {
  const [logProb, entropy, logNormalizer] = native.tokenScores(logits.handle, targets.handle).map(wrap);
  return { logProb: logProb!, entropy: entropy!, logNormalizer: logNormalizer! };
}
/** Inverted dropout with probability p, reproducible through gen. */
export function dropout(x: Tensor, p: number, gen?: Generator): Tensor {
  return wrap(native.dropout(x.handle, p, gen?.handle ?? null));
}
/** n draws per row from the (unnormalised, non-negative) probabilities. */
export function multinomial(
  probs: Tensor,
  n: number,
  opts: { replacement?: boolean; gen?: Generator } = {},
): Tensor {
  return wrap(native.multinomial(probs.handle, n, opts.replacement ?? false, opts.gen?.handle ?? null));
}
/** Element-wise maximum/minimum with a scalar or tensor (convenience over Tensor methods). */
export function maximum(a: Tensor, b: TensorLike): Tensor {
  return a.maximum(b);
}
export function minimum(a: Tensor, b: TensorLike): Tensor {
  return a.minimum(b);
}
export type { Scalar };
