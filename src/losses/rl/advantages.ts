/** Advantage estimators for the online algorithms. All tensors are [B, T] over response tokens. */
import { arange, cat, stack, type Tensor, tidy, zeros } from '../../tensor/index.ts';

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

/**
 * GRPO's group-relative advantage (Shao et al. 2024, DeepSeekMath §4.1.2, outcome supervision):
 * with G samples per prompt and sequence rewards r_i,
 *   Â_i = (r_i − mean(r_group)) / (std(r_group) + ε)       (scaleByStd, GRPO)
 *   Â_i =  r_i − mean(r_group)                              (Dr. GRPO, Liu et al. 2025, "Understanding R1-Zero-Like Training")
 * std is the Bessel-corrected sample deviation, as TRL, OpenRLHF and veRL compute it; ε = 1e-6
 * keeps a group of equal rewards at advantage 0. `scores` is [B·G] grouped prompt-major.
 */
export function groupRelativeAdvantages(scores: Tensor, groupSize: number, scaleByStd: boolean): Tensor {
  if (groupSize < 2)
    throw new Error(`group-relative advantages need >= 2 samples per prompt, got ${groupSize}`);
  return tidy(() => {
    const grouped = scores.reshape(-1, groupSize);
    const centred = grouped.sub(grouped.mean(1, true));
    if (!scaleByStd) return centred.reshape(-1);
    return centred.div(grouped.var(1, { keepdim: true }).sqrt().add(1e-6)).reshape(-1);
  });
}

/**
 * Discounted reward-to-go G_t = Σ_{s ≥ t} γ^{s−t}·r_s over each row's response tokens (REINFORCE,
 * Williams 1992; the returns REINFORCE++ whitens). Positions past the response carry nothing.
 */
export function discountedReturns(rewards: Tensor, mask: Tensor, gamma: number): Tensor {
  return tidy(() => {
    const r = rewards.mul(mask);
    const columns: Tensor[] = [];
    let next = zeros([rewards.dim(0)], { dtype: rewards.dtype, device: rewards.device });
    for (let t = rewards.dim(1) - 1; t >= 0; t--) {
      next = r.select(1, t).add(next.mul(gamma)).mul(mask.select(1, t));
      columns.push(next);
    }
    return stack(columns.reverse(), 1).detach();
  });
}

/**
 * REINFORCE++ advantages (Hu 2025, "REINFORCE++"; as OpenRLHF computes them), from sequence scores
 * s_i [B], per-token regularizer rewards k_{i,t} [B, R] (its KL penalty, −β·KL_t) and the mask:
 *   r_{i,t} = k_{i,t} + [t = last]·s̃_i,   G_{i,t} = Σ_{u ≥ t} γ^{u−t}·r_{i,u},
 *   A_{i,t} = (G_{i,t} − mean(G)) / std(G)     over every response token of the batch,
 * with s̃_i = s_i (REINFORCE++), or s_i minus the mean score of its prompt's `groupSize` samples
 * (REINFORCE++-baseline; `scores` grouped prompt-major). std is Bessel-corrected (maskedWhiten).
 */
export function reinforcePlusPlusAdvantages(
  scores: Tensor,
  tokenRewards: Tensor,
  mask: Tensor,
  gamma: number,
  baselineGroupSize: number | null = null,
): Tensor {
  if (baselineGroupSize !== null && baselineGroupSize < 2)
    throw new Error(`REINFORCE++-baseline needs >= 2 samples per prompt, got ${baselineGroupSize}`);
  return tidy(() => {
    let s = scores;
    if (baselineGroupSize !== null) {
      const grouped = scores.reshape(-1, baselineGroupSize);
      s = grouped.sub(grouped.mean(1, true)).reshape(-1);
    }
    const rewards = tokenRewards.add(lastTokenOneHot(mask).mul(s.unsqueeze(1)));
    return maskedWhiten(discountedReturns(rewards, mask, gamma), mask);
  });
}

/** [B, R] one-hot of each row's last response token (where a sequence-level score is paid). */
export function lastTokenOneHot(mask: Tensor): Tensor {
  return tidy(() => {
    const lastIndex = mask.sum(1).sub(1).clamp(0).to('int64').unsqueeze(1);
    const positions = arange(mask.dim(1), undefined, 1, { device: mask.device }).unsqueeze(0);
    return positions.eq(lastIndex).to(mask.dtype).mul(mask.sum(1, true).gt(0).to(mask.dtype));
  });
}

/**
 * The response mask extended by one position after each row's last token, where there is room:
 * the state after the whole response (where the reward model reads its score), which the TL;DR
 * PPO work gives a value and pays the score at (Huang et al. 2024, `padding_mask_p1`).
 */
export function maskWithNextPosition(mask: Tensor): Tensor {
  return tidy(() => {
    if (mask.dim(1) < 2) return mask.clone();
    const shifted = cat(
      [
        zeros([mask.dim(0), 1], { dtype: mask.dtype, device: mask.device }),
        mask.narrow(1, 0, mask.dim(1) - 1),
      ],
      1,
    );
    return mask.add(shifted).clamp(0, 1);
  });
}
