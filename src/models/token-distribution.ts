/**
 * The one way log-probabilities and entropies are computed from logits, for training (online and
 * offline), sampling and the tests: next-token distributions softmax(logits) over the last dim.
 */
import { type Tensor, tidy } from '../tensor/index.ts';

/**
 * The next-token distributions softmax(logits) over the last dim [.., V], in float32 (float64 stays
 * float64): log-probabilities of chosen tokens and entropies share one logsumexp and one softmax.
 * `filtered` logits (top-k / top-p, −∞ on removed tokens) score removed tokens as contributing 0 to
 * the entropy.
 */
export class TokenDistribution {
  /** [.., V] float logits (−∞ replaced by 0 when filtered: those tokens have probability 0). */
  readonly logits: Tensor;
  /** [..] log Σ_v exp(logits_v). */
  readonly logNormalizer: Tensor;
  private probabilities: Tensor | null = null;

  constructor(logits: Tensor, opts: { filtered?: boolean } = {}) {
    const z = logits.dtype === 'float64' ? logits : logits.float();
    this.logNormalizer = z.logsumexp(-1);
    if (opts.filtered) {
      this.probabilities = z.softmax(-1);
      this.logits = z.maskedFill(z.eq(Number.NEGATIVE_INFINITY), 0);
    } else this.logits = z;
  }

  /** [.., V] softmax(logits). */
  get probs(): Tensor {
    this.probabilities ??= this.logits.softmax(-1);
    return this.probabilities;
  }

  /** log p(target) for int64 targets [..] → [..]. */
  logProb(targets: Tensor): Tensor {
    return this.logits.gather(-1, targets.unsqueeze(-1)).squeeze(-1).sub(this.logNormalizer);
  }

  /** Entropy −Σ_v p_v log p_v = logsumexp(z) − Σ_v p_v z_v → [..]. */
  entropy(): Tensor {
    return this.logNormalizer.sub(this.probs.mul(this.logits).sum(-1));
  }

  /**
   * One token per distribution by inverse-CDF sampling: for uniforms u [..] in (0, 1), the smallest
   * v whose cumulative probability exceeds u·Σp (computed in float64, so a token of probability 0
   * is never drawn). The same u always picks the same token, whatever else is in the batch.
   */
  sample(uniforms: Tensor): Tensor {
    const probs = this.probs; // cached outside the scope below: entropy() reuses it
    return tidy(() => {
      const cdf = probs.double().cumsum(-1);
      const total = cdf.narrow(-1, cdf.dim(-1) - 1, 1);
      // u ≤ 1 − 2⁻⁵⁰ keeps u·total strictly below total after rounding (so the count stays < V);
      // u ≥ 2⁻⁵³ keeps it above 0 (so leading tokens of probability 0 are counted, never drawn).
      const u = uniforms
        .double()
        .clamp(2 ** -53, 1 - 2 ** -50)
        .unsqueeze(-1);
      return cdf.le(u.mul(total)).sum(-1);
    });
  }

  /** [.., V] log p over the whole vocabulary. */
  logProbsAll(): Tensor {
    return this.logits.sub(this.logNormalizer.unsqueeze(-1));
  }
}

/** log softmax(logits)[target] for logits [.., V] and int64 targets [..] → float32 [..]. */
export function tokenLogProbs(logits: Tensor, targets: Tensor): Tensor {
  return tidy(() => new TokenDistribution(logits).logProb(targets));
}

/** Entropy −Σ p log p of softmax(logits) over the last dim → float32 [..]. */
export function tokenEntropy(logits: Tensor): Tensor {
  return tidy(() => new TokenDistribution(logits).entropy());
}
