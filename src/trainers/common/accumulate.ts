/**
 * Gradient accumulation with exact normalisation. A loss that is a mean over a minibatch — over its
 * tokens (a masked mean) or over its rows — splits over micro-batches j as
 *   L = Σ_j (w_j / Σ_k w_k) · L_j,
 * where L_j is the same mean over micro-batch j alone and w_j its number of tokens (or rows). So
 * backpropagating each (w_j / Σw)·L_j in turn, one micro-batch's graph at a time, accumulates the
 * gradient of L itself: one batch and its micro-batches give the same update up to float32
 * reduction order. Weighting every micro-batch by 1/n instead would overweight the tokens of
 * micro-batches with short responses.
 */
import { type Tensor, tidy } from '../../tensor/index.ts';

/** One micro-batch and its weight: its number of tokens or rows (any non-negative size). */
export interface WeightedPart<P> {
  part: P;
  weight: number;
}

/** What a micro-batch contributes: its loss (the mean over its own tokens or rows) and its metrics. */
export interface PartLoss {
  loss: Tensor;
  /** Means over the micro-batch, combined with the same weights as the loss. */
  metrics?: Record<string, number>;
}

export interface Accumulated {
  /** Σ_j c_j·L_j, the minibatch's loss. */
  loss: number;
  /** Σ_j c_j·m_j for every metric. */
  metrics: Record<string, number>;
}

/** Micro-batches of at most `size` consecutive items of `items` (size null: one micro-batch). */
export function microBatches<T>(items: readonly T[], size: number | null): T[][] {
  if (size === null || size >= items.length) return [items.slice()];
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

/**
 * Backpropagates Σ_j c_j·L_j with c_j = w_j / Σ_k w_k, each micro-batch in its own tensor scope
 * (its graph freed before the next one is built). `afterBackward` runs after each micro-batch's
 * backward pass (e.g. to fold reduced-precision gradients into float32 master gradients). Gradients
 * add to whatever the parameters already hold: zero them first.
 */
export function backwardWeighted<P>(
  parts: readonly WeightedPart<P>[],
  lossOf: (part: P) => PartLoss,
  afterBackward?: () => void,
): Accumulated {
  const total = parts.reduce((s, p) => s + p.weight, 0);
  if (!(total > 0)) throw new Error(`micro-batch weights must sum to a positive number, got ${total}`);
  let loss = 0;
  const metrics: Record<string, number> = {};
  for (const { part, weight } of parts) {
    if (weight === 0) continue; // contributes nothing (an empty micro-batch)
    const c = weight / total;
    tidy(() => {
      const out = lossOf(part);
      (c === 1 ? out.loss : out.loss.mul(c)).backward();
      loss += c * out.loss.item();
      for (const [k, v] of Object.entries(out.metrics ?? {})) metrics[k] = (metrics[k] ?? 0) + c * v;
    });
    afterBackward?.();
  }
  return { loss, metrics };
}
