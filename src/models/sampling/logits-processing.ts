/**
 * Turning next-token logits into the distribution that is sampled, in HF's order: temperature,
 * then top-k, then top-p (nucleus). Removed tokens get logit −∞; at least one token always remains.
 */
import { type Tensor, tidy, zeros } from '../../tensor/index.ts';

export interface SamplingSettings {
  /** Take the most likely token (no randomness); temperature, top-k and top-p are then ignored. */
  greedy?: boolean;
  /** Logits are divided by it (> 0; default 1). */
  temperature?: number;
  /** Keep only the k most likely tokens (default: all). */
  topK?: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p (0 < p ≤ 1; default 1). */
  topP?: number;
}

export function validateSettings(settings: SamplingSettings): void {
  const t = settings.temperature ?? 1;
  if (!(t > 0) || !Number.isFinite(t))
    throw new Error(`temperature must be a positive number, got ${settings.temperature}`);
  if (settings.topK !== undefined && !(Number.isInteger(settings.topK) && settings.topK >= 1))
    throw new Error(`topK must be an integer ≥ 1, got ${settings.topK}`);
  if (settings.topP !== undefined && !(settings.topP > 0 && settings.topP <= 1))
    throw new Error(`topP must be in (0, 1], got ${settings.topP}`);
}

/** Tokens below the k-th largest logit → −∞. */
export function keepTopK(logits: Tensor, k: number): Tensor {
  if (k >= logits.dim(-1)) return logits;
  return tidy(() => {
    const [values] = logits.topk(k, -1);
    const kth = values.narrow(-1, k - 1, 1);
    return logits.maskedFill(logits.lt(kth), Number.NEGATIVE_INFINITY);
  });
}

/**
 * Nucleus filtering: in descending order of probability, a token is removed once the tokens before it
 * already hold probability ≥ p (so the most likely token always stays), as HF's TopPLogitsWarper.
 */
export function keepTopP(logits: Tensor, p: number): Tensor {
  if (p >= 1) return logits;
  return tidy(() => {
    const [sorted, order] = logits.sort(-1, true);
    const probs = sorted.softmax(-1);
    const massBefore = probs.cumsum(-1).sub(probs);
    const removeSorted = massBefore.ge(p);
    const remove = zeros(logits.shape, { dtype: 'bool', device: logits.device }).scatter(
      -1,
      order,
      removeSorted,
    );
    return logits.maskedFill(remove, Number.NEGATIVE_INFINITY);
  });
}

/** The logits [B, V] of the distribution that sampling draws from (float32). */
export function processLogits(logits: Tensor, settings: SamplingSettings): Tensor {
  return tidy(() => {
    let z = logits.float();
    if ((settings.temperature ?? 1) !== 1) z = z.div(settings.temperature ?? 1);
    if (settings.topK !== undefined) z = keepTopK(z, settings.topK);
    if (settings.topP !== undefined) z = keepTopP(z, settings.topP);
    return z;
  });
}
