/** Advantage estimators for the online algorithms. All tensors are [B, T] over response tokens. */
import { stack, type Tensor, tidy, zeros } from '../../tensor/index.ts';

/** Mean and variance over the positions where mask is 1. */
export function maskedMean(x: Tensor, mask: Tensor, dim?: number): Tensor {
  return dim === undefined ? x.mul(mask).sum().div(mask.sum()) : x.mul(mask).sum(dim).div(mask.sum(dim));
}

export function maskedVar(x: Tensor, mask: Tensor): Tensor {
  return tidy(() => {
    const mean = maskedMean(x, mask);
    const n = mask.sum();
    // Bessel-corrected, as TRL's masked_var(unbiased=True).
    return x.sub(mean).square().mul(mask).sum().div(n.sub(1));
  });
}

/** (x − mean)/√(var + 1e-8) over masked positions; `shiftMean` false keeps the mean (reward whitening). */
export function maskedWhiten(x: Tensor, mask: Tensor, shiftMean = true): Tensor {
  return tidy(() => {
    const mean = maskedMean(x, mask);
    const whitened = x.sub(mean).mul(maskedVar(x, mask).add(1e-8).rsqrt());
    return (shiftMean ? whitened : whitened.add(mean)).mul(mask);
  });
}

/**
 * Generalised advantage estimation (Schulman et al. 2016, Eq. 16), computed right to left:
 *   δ_t = r_t + γ·V_{t+1} − V_t,  A_t = δ_t + γλ·A_{t+1},  returns = A + V.
 * Positions past the response (mask 0) carry no reward and no bootstrap value.
 */
export function gae(
  rewards: Tensor,
  values: Tensor,
  mask: Tensor,
  gamma: number,
  lambda: number,
): { advantages: Tensor; returns: Tensor } {
  return tidy(() => {
    const T = rewards.dim(1);
    const v = values.mul(mask);
    const r = rewards.mul(mask);
    const columns: Tensor[] = [];
    let next = zeros([rewards.dim(0)], { dtype: rewards.dtype, device: rewards.device });
    for (let t = T - 1; t >= 0; t--) {
      const nextValue =
        t + 1 < T
          ? v.select(1, t + 1)
          : zeros([rewards.dim(0)], { dtype: rewards.dtype, device: rewards.device });
      const delta = r.select(1, t).add(nextValue.mul(gamma)).sub(v.select(1, t));
      next = delta.add(next.mul(gamma * lambda)).mul(mask.select(1, t));
      columns.push(next);
    }
    const advantages = stack(columns.reverse(), 1).detach();
    return { advantages, returns: advantages.add(v).detach() };
  });
}

/**
 * RLOO baseline (Ahmadian et al. 2024): with k samples per prompt and sequence scores s_i,
 *   A_i = s_i − (1/(k−1))·Σ_{j≠i} s_j.
 * `scores` is [B·k] grouped prompt-major ([p0s0, p0s1, …]).
 */
export function rlooAdvantages(scores: Tensor, k: number): Tensor {
  if (k < 2) throw new Error(`RLOO needs k >= 2 samples per prompt, got ${k}`);
  return tidy(() => {
    const grouped = scores.reshape(-1, k);
    const baseline = grouped
      .sum(1, true)
      .sub(grouped)
      .div(k - 1);
    return grouped.sub(baseline).reshape(-1);
  });
}
