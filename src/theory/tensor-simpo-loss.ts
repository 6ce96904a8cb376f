/**
 * The project's real SimPO loss (src/losses, libtorch autograd) behind the theory module's
 * PreferenceLossFn seam, so Theorem 1 is checked with the exact function the trainers optimise.
 */
import { simpoLoss } from '../losses/index.ts';
import { tensor, tidy } from '../tensor/index.ts';
import type { PreferenceLossFn } from './preference-loss.ts';

export function createTensorSimpoLoss(options: { beta: number; gamma: number }): PreferenceLossFn {
  return (chosenLogps, rejectedLogps, chosenLens, rejectedLens) =>
    tidy(() => {
      const f64 = (xs: readonly number[], grad = false) =>
        tensor([...xs], { dtype: 'float64', requiresGrad: grad });
      const chosen = f64(chosenLogps, true);
      const rejected = f64(rejectedLogps, true);
      const out = simpoLoss(
        {
          policyChosen: chosen,
          policyRejected: rejected,
          chosenLengths: f64(chosenLens),
          rejectedLengths: f64(rejectedLens),
        },
        options,
      );
      out.loss.backward();
      return {
        loss: out.loss.item(),
        gradChosen: chosen.grad!.toArray(),
        gradRejected: rejected.grad!.toArray(),
      };
    });
}
