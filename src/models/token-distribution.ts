/**
 * The one way log-probabilities and entropies are computed from logits, for training (online and
 * offline), sampling and the tests: next-token distributions softmax(logits) over the last dim.
 */
import { type Tensor, tidy, tokenScores, zeros } from '../tensor/index.ts';

/**
 * The next-token distributions softmax(logits) over the last dim [.., V], in float32 (float64 stays
 * float64). Log-probabilities of chosen tokens and entropies come from one fused pass over the
 * vocabulary (`tokenScores`, native/src/token-scores.cc: max, log-sum-exp, the target's log-prob and
 * Σ p log p per row, float32 or wider accumulation for bf16 logits, a fused backward that keeps no
 * [.., V] softmax). `filtered` logits (top-k / top-p, −∞ on removed tokens) score removed tokens as
 * contributing 0 to the entropy.
 */
export class TokenDistribution {
  /** [.., V] the logits as given (bf16 included; −∞ on filtered tokens). */
  private readonly raw: Tensor;
  private readonly filtered: boolean;
  private floatLogits: Tensor | null = null;
  private normalizer: Tensor | null = null;
  private probabilities: Tensor | null = null;

  constructor(logits: Tensor, opts: { filtered?: boolean } = {}) {
    this.raw = logits;
    this.filtered = opts.filtered ?? false;
  }

  /** [.., V] float logits (−∞ replaced by 0 when filtered: those tokens have probability 0). */
  get logits(): Tensor {
    if (!this.floatLogits) {
      const z = this.raw.dtype === 'float64' ? this.raw : this.raw.float();
      this.floatLogits = this.filtered ? z.maskedFill(z.eq(Number.NEGATIVE_INFINITY), 0) : z;
    }
    return this.floatLogits;
  }

  /** [..] log Σ_v exp(logits_v). */
  get logNormalizer(): Tensor {
    this.normalizer ??= (this.raw.dtype === 'float64' ? this.raw : this.raw.float()).logsumexp(-1);
    return this.normalizer;
  }

  /** [.., V] softmax(logits). */
  get probs(): Tensor {
    this.probabilities ??= (this.raw.dtype === 'float64' ? this.raw : this.raw.float()).softmax(-1);
    return this.probabilities;
  }

  /** log p(target) and the entropy −Σ_v p_v log p_v for int64 targets [..] → each [..], one pass. */
  score(targets: Tensor): { logProb: Tensor; entropy: Tensor } {
    const { logProb, entropy } = tokenScores(this.raw, targets);
    return { logProb, entropy };
  }

  /** log p(target) for int64 targets [..] → [..]. */
  logProb(targets: Tensor): Tensor {
    return this.score(targets).logProb;
  }

  /** Entropy −Σ_v p_v log p_v → [..]. */
  entropy(): Tensor {
    return tidy(() => {
      const anyToken = zeros(this.raw.shape.slice(0, -1), { dtype: 'int64', device: this.raw.device });
      return this.score(anyToken).entropy;
    });
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
