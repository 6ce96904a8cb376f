/** Policy-gradient surrogate losses. Tensors are [B, T] over response tokens with a validity mask. */
import { type Tensor, tidy } from '../../tensor/index.ts';
import { maskedMean } from './advantages.ts';

/**
 * PPO clipped surrogate (Schulman et al. 2017, Eq. 7), as a loss to minimise:
 *   ρ = exp(log π − log π_old),  L = E[max(−A·ρ, −A·clip(ρ, 1−ε, 1+ε))].
 * Also returns clipfrac and the approximate KL ½·E[(log ρ)²] that TRL logs.
 */
export function ppoPolicyLoss(
  logps: Tensor,
  oldLogps: Tensor,
  advantages: Tensor,
  mask: Tensor,
  clip: number,
) {
  return tidy(() => {
    const logRatio = logps.sub(oldLogps);
    const ratio = logRatio.exp();
    const unclipped = advantages.neg().mul(ratio);
    const clipped = advantages.neg().mul(ratio.clamp(1 - clip, 1 + clip));
    const loss = maskedMean(unclipped.maximum(clipped), mask);
    const clipfrac = maskedMean(clipped.gt(unclipped).to(logps.dtype), mask).detach();
    const approxKl = maskedMean(logRatio.square(), mask).mul(0.5).detach();
    return { loss, clipfrac, approxKl, ratio: maskedMean(ratio, mask).detach() };
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
