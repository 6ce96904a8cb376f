/** Reward-model and language-modelling losses. */
import { type Tensor, crossEntropy, tidy } from '../tensor/index.ts';

/**
 * Bradley-Terry reward-model loss (Ouyang et al. 2022, Eq. 1): L = −log σ(r(x,y_w) − r(x,y_l)),
 * plus the optional reward-centering penalty η·(r_w + r_l)² of Eisenstein et al. 2023 (TRL's
 * `center_rewards_coefficient`), which pins the free additive constant of a BT reward.
 */
export function bradleyTerryLoss(
  chosen: Tensor,
  rejected: Tensor,
  centerCoef = 0,
): { loss: Tensor; accuracy: Tensor } {
  return tidy(() => {
    let loss = chosen.sub(rejected).logSigmoid().neg().mean();
    if (centerCoef > 0) loss = loss.add(chosen.add(rejected).square().mean().mul(centerCoef));
    const accuracy = chosen.gt(rejected).to('float32').mean().detach();
    return { loss, accuracy };
  });
}

/**
 * Mean next-token cross-entropy over positions where `lossMask` is 1 (completion-only SFT).
 * logits [B, T, V] predict targets [B, T] (already shifted by the caller); lossMask [B, T].
 */
export function maskedNextTokenLoss(logits: Tensor, targets: Tensor, lossMask: Tensor): Tensor {
  return tidy(() => {
    const ignore = -100;
    const masked = targets.maskedFill(lossMask.eq(0), ignore);
    const v = logits.dim(-1);
    return crossEntropy(logits.reshape(-1, v), masked.reshape(-1), {
      ignoreIndex: ignore,
      reduction: 'mean',
    });
  });
}
