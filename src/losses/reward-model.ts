/** The reward-model loss. */
import { type Tensor, tidy } from '../tensor/index.ts';

/**
 * Bradley-Terry reward-model loss (Ouyang et al. 2022, Eq. 1): L = −log σ(r(x,y_w) − r(x,y_l)),
 * plus the optional reward-centering penalty η·(r_w + r_l)² of Eisenstein et al. 2023 (TRL's
 * `center_rewards_coefficient`), which pins the free additive constant of a BT reward.
 */
export function bradleyTerryLoss(
  chosenRewards: Tensor,
  rejectedRewards: Tensor,
  centerCoef = 0,
): { loss: Tensor; accuracy: Tensor } {
  return tidy(() => {
    let loss = chosenRewards.sub(rejectedRewards).logSigmoid().neg().mean();
    if (centerCoef > 0) loss = loss.add(chosenRewards.add(rejectedRewards).square().mean().mul(centerCoef));
    const accuracy = chosenRewards.gt(rejectedRewards).to('float32').mean().detach();
    return { loss, accuracy };
  });
}
