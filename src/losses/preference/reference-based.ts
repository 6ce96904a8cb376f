/**
 * Reference-based preference losses. With the log-ratio margin
 *   h = [log π(y_w|x) − log π_ref(y_w|x)] − [log π(y_l|x) − log π_ref(y_l|x)],
 * each loss is a function of β·h; the implicit rewards are β(log π − log π_ref).
 */
import { tidy } from '../../tensor/index.ts';
import { type PreferenceLogps, type PreferenceLossOutput, requireRef } from './types.ts';

function logRatioMargin(l: PreferenceLogps, name: string) {
  const { refChosen, refRejected } = requireRef(l, name);
  const chosen = l.policyChosen.sub(refChosen);
  const rejected = l.policyRejected.sub(refRejected);
  return { chosen, rejected, margin: chosen.sub(rejected) };
}

function withRewards(
  beta: number,
  chosen: PreferenceLogps['policyChosen'],
  rejected: PreferenceLogps['policyChosen'],
) {
  return { chosenRewards: chosen.detach().mul(beta), rejectedRewards: rejected.detach().mul(beta) };
}

/** DPO (Rafailov et al. 2023, Eq. 7): L = −log σ(β·h). */
export function dpoLoss(l: PreferenceLogps, o: { beta: number }): PreferenceLossOutput {
  return tidy(() => {
    const { chosen, rejected, margin } = logRatioMargin(l, 'dpo');
    return { loss: margin.mul(o.beta).logSigmoid().neg().mean(), ...withRewards(o.beta, chosen, rejected) };
  });
}

/**
 * Conservative DPO (cDPO; Mitchell 2023) — labels flipped with probability ε:
 *   L = −(1−ε)·log σ(β·h) − ε·log σ(−β·h).
 */
export function cdpoLoss(
  l: PreferenceLogps,
  o: { beta: number; labelSmoothing: number },
): PreferenceLossOutput {
  return tidy(() => {
    const { chosen, rejected, margin } = logRatioMargin(l, 'cdpo');
    const z = margin.mul(o.beta);
    const loss = z
      .logSigmoid()
      .mul(-(1 - o.labelSmoothing))
      .sub(z.neg().logSigmoid().mul(o.labelSmoothing));
    return { loss: loss.mean(), ...withRewards(o.beta, chosen, rejected) };
  });
}

/**
 * Robust DPO (Chowdhury et al. 2024, Eq. 10), unbiased under label-flip rate ε < ½:
 *   L = [−(1−ε)·log σ(β·h) + ε·log σ(−β·h)] / (1 − 2ε).
 */
export function robustDpoLoss(
  l: PreferenceLogps,
  o: { beta: number; labelSmoothing: number },
): PreferenceLossOutput {
  if (!(o.labelSmoothing < 0.5))
    throw new Error(`robust DPO needs labelSmoothing < 0.5, got ${o.labelSmoothing}`);
  return tidy(() => {
    const { chosen, rejected, margin } = logRatioMargin(l, 'robust');
    const z = margin.mul(o.beta);
    const loss = z
      .logSigmoid()
      .mul(-(1 - o.labelSmoothing))
      .add(z.neg().logSigmoid().mul(o.labelSmoothing));
    return { loss: loss.div(1 - 2 * o.labelSmoothing).mean(), ...withRewards(o.beta, chosen, rejected) };
  });
}

/**
 * IPO (Azar et al. 2023, Eq. 17): L = (h − 1/(2τ))², τ = β. As in TRL, h uses per-token average
 * log-probs (lengthNormalize, default true) so the target 1/(2τ) does not depend on length.
 */
export function ipoLoss(
  l: PreferenceLogps,
  o: { beta: number; lengthNormalize?: boolean },
): PreferenceLossOutput {
  return tidy(() => {
    const { refChosen, refRejected } = requireRef(l, 'ipo');
    const norm = o.lengthNormalize ?? true;
    const chosen = l.policyChosen.sub(refChosen).div(norm ? l.chosenLengths : 1);
    const rejected = l.policyRejected.sub(refRejected).div(norm ? l.rejectedLengths : 1);
    const loss = chosen
      .sub(rejected)
      .sub(1 / (2 * o.beta))
      .square()
      .mean();
    return { loss, ...withRewards(o.beta, chosen, rejected) };
  });
}

/** Hinge / SLiC (Zhao et al. 2023): L = max(0, 1 − β·h). */
export function hingeLoss(l: PreferenceLogps, o: { beta: number }): PreferenceLossOutput {
  return tidy(() => {
    const { chosen, rejected, margin } = logRatioMargin(l, 'hinge');
    return { loss: margin.mul(o.beta).rsub(1).relu().mean(), ...withRewards(o.beta, chosen, rejected) };
  });
}
