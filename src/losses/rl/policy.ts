/** Policy-gradient surrogate losses. Tensors are [B, T] over response tokens with a validity mask. */
import { type Tensor, tidy } from '../../tensor/index.ts';
import { maskedMean } from './advantages.ts';

/**
 * How per-token losses ℓ_{i,t} become one scalar (the algorithms differ here, and it matters: the
 * length normalisation of GRPO biases it towards long wrong answers, Liu et al. 2025):
 *   token-mean     Σ_{i,t} ℓ / Σ_{i,t} 1                        (PPO as in TRL and the TL;DR work; DAPO)
 *   sequence-mean  (1/B)·Σ_i (1/|y_i|)·Σ_t ℓ_{i,t}              (GRPO, Shao et al. 2024, Eq. 3)
 *   constant       Σ_{i,t} ℓ / (B·L), L the generation budget   (Dr. GRPO, Liu et al. 2025)
 */
export type LossAggregation = 'token-mean' | 'sequence-mean' | 'constant';

export function aggregateTokenLosses(
  losses: Tensor,
  mask: Tensor,
  how: LossAggregation,
  generationBudget?: number,
): Tensor {
  return tidy(() => {
    if (how === 'token-mean') return maskedMean(losses, mask);
    if (how === 'sequence-mean') return losses.mul(mask).sum(1).div(mask.sum(1).clamp(1)).mean();
    if (generationBudget === undefined || generationBudget < 1)
      throw new Error('aggregation "constant" (Dr. GRPO) needs the generation budget (maxNewTokens)');
    return losses
      .mul(mask)
      .sum()
      .div(mask.dim(0) * generationBudget);
  });
}

/**
 * PPO clipped surrogate (Schulman et al. 2017, Eq. 7), as a loss to minimise:
 *   ρ = exp(log π − log π_old),  ℓ_t = max(−A·ρ, −A·clip(ρ, 1−ε, 1+ε)),
 * aggregated over tokens as `aggregation` says (default: the mean over every response token).
 * Also returns clipfrac and the approximate KL ½·E[(log ρ)²] that TRL logs: means over tokens, or
 * for the per-response aggregations means over responses of per-response means (so that they, like
 * the loss, are means over rows when micro-batches are weighted by rows).
 */
export function ppoPolicyLoss(
  logps: Tensor,
  oldLogps: Tensor,
  advantages: Tensor,
  mask: Tensor,
  clip: number,
  aggregation: LossAggregation = 'token-mean',
  generationBudget?: number,
) {
  return tidy(() => {
    const logRatio = logps.sub(oldLogps);
    const ratio = logRatio.exp();
    const unclipped = advantages.neg().mul(ratio);
    const clipped = advantages.neg().mul(ratio.clamp(1 - clip, 1 + clip));
    const loss = aggregateTokenLosses(unclipped.maximum(clipped), mask, aggregation, generationBudget);
    const metric = (x: Tensor) =>
      aggregateTokenLosses(x, mask, aggregation === 'token-mean' ? 'token-mean' : 'sequence-mean').detach();
    const clipfrac = metric(clipped.gt(unclipped).to(logps.dtype));
    const approxKl = metric(logRatio.square()).mul(0.5);
    return { loss, clipfrac, approxKl, ratio: metric(ratio) };
  });
}

/**
 * The clipped surrogate on whole sequences, as TRL's RLOO trainer has it (before its 2025 rewrite):
 * one ratio per response, ρ_i = exp(Σ_t log π − Σ_t log π_old), with its sequence advantage A_i [B]:
 *   L = (1/B)·Σ_i max(−A_i·ρ_i, −A_i·clip(ρ_i, 1−ε, 1+ε)).
 * On the first minibatch (ρ = 1) its gradient is REINFORCE's, −A_i·∇Σ_t log π(y_t); later ones clip
 * a whole response at once rather than token by token.
 */
export function sequencePolicyLoss(
  logps: Tensor,
  oldLogps: Tensor,
  advantages: Tensor,
  mask: Tensor,
  clip: number,
) {
  return tidy(() => {
    const logRatio = logps.sub(oldLogps).mul(mask).sum(1);
    const ratio = logRatio.exp();
    const unclipped = advantages.neg().mul(ratio);
    const clipped = advantages.neg().mul(ratio.clamp(1 - clip, 1 + clip));
    const loss = unclipped.maximum(clipped).mean();
    const clipfrac = clipped.gt(unclipped).to(logps.dtype).mean().detach();
    const approxKl = logRatio.square().mean().mul(0.5).detach();
    return { loss, clipfrac, approxKl, ratio: ratio.mean().detach() };
  });
}

/**
 * Clipped value loss (as in the TL;DR PPO work and TRL):
 *   L_V = ½·E[max((V − R)², (clip(V, V_old ± ε) − R)²)].
 */
export function ppoValueLoss(values: Tensor, oldValues: Tensor, returns: Tensor, mask: Tensor, clip: number) {
  return tidy(() => {
    const clippedValues = values.sub(oldValues).clamp(-clip, clip).add(oldValues);
    const a = values.sub(returns).square();
    const b = clippedValues.sub(returns).square();
    const loss = maskedMean(a.maximum(b), mask).mul(0.5);
    const clipfrac = maskedMean(b.gt(a).to(values.dtype), mask).detach();
    return { loss, clipfrac };
  });
}
