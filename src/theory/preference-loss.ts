/**
 * The pluggable pairwise preference loss used by the Theorem-1 optimisation, with a float64 SimPO
 * implementation as default (Meng et al. 2024, Eq. 6; notes, "SimPO as MaxEnt RL"):
 *   ℓ = −log σ( (β/|y_w|)·log π(y_w|x) − (β/|y_l|)·log π(y_l|x) − γ ).
 */
import { logSigmoid, sigmoid } from './vector-math.ts';

/**
 * A batch preference loss on sequence log-probabilities (sums over tokens) and token lengths.
 * Contract: `loss` is the MEAN over the batch of per-pair losses, and the gradients are
 * ∂loss/∂chosenLogps[k], ∂loss/∂rejectedLogps[k]. This is the seam through which the project's
 * tensor losses (src/losses) can replace the float64 default.
 */
export type PreferenceLossFn = (
  chosenLogps: number[],
  rejectedLogps: number[],
  chosenLens: number[],
  rejectedLens: number[],
) => { loss: number; gradChosen: number[]; gradRejected: number[] };

/** SimPO's implicit reward r_SimPO(x, y) = (β/|y|)·log π(y|x). */
export function simpoImplicitReward(logProbability: number, length: number, beta: number): number {
  return (beta / length) * logProbability;
}

/**
 * Float64 SimPO loss with analytic gradients: with z = (β/|y_w|)·lw − (β/|y_l|)·ll − γ,
 * dℓ/dz = −σ(−z), so ∂ℓ/∂lw = −σ(−z)·β/|y_w| and ∂ℓ/∂ll = +σ(−z)·β/|y_l| (each divided by B).
 */
export function createSimpoLoss(options: { beta: number; gamma: number }): PreferenceLossFn {
  const { beta, gamma } = options;
  return (chosenLogps, rejectedLogps, chosenLens, rejectedLens) => {
    const batch = chosenLogps.length;
    let loss = 0;
    const gradChosen: number[] = [];
    const gradRejected: number[] = [];
    for (let k = 0; k < batch; k++) {
      const z =
        simpoImplicitReward(chosenLogps[k]!, chosenLens[k]!, beta) -
        simpoImplicitReward(rejectedLogps[k]!, rejectedLens[k]!, beta) -
        gamma;
      loss -= logSigmoid(z) / batch;
      const slope = sigmoid(-z) / batch;
      gradChosen.push((-slope * beta) / chosenLens[k]!);
      gradRejected.push((slope * beta) / rejectedLens[k]!);
    }
    return { loss, gradChosen, gradRejected };
  };
}
