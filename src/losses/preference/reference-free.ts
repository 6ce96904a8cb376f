/**
 * Reference-free preference losses: no π_ref term anywhere, so no reference model is needed.
 */
import { type Tensor, tidy } from '../../tensor/index.ts';
import type { PreferenceLogps, PreferenceLossOutput } from './types.ts';

/** Per-token average log-probability (1/|y|)·log π(y|x), SimPO's length normalisation. */
export function averageLogp(sumLogps: Tensor, lengths: Tensor): Tensor {
  return sumLogps.div(lengths);
}

/**
 * SimPO (Meng et al. 2024, Eq. 6):
 *   L = −log σ( (β/|y_w|)·log π(y_w|x) − (β/|y_l|)·log π(y_l|x) − γ ),
 * with implicit reward r(x,y) = (β/|y|)·log π(y|x) and target margin γ. Optional label smoothing
 * ε as in the SimPO repository: −(1−ε)·log σ(z) − ε·log σ(−z).
 */
export function simpoLoss(
  l: PreferenceLogps,
  o: { beta: number; gamma: number; labelSmoothing?: number },
): PreferenceLossOutput {
  return tidy(() => {
    const chosenRewards = averageLogp(l.policyChosen, l.chosenLengths).mul(o.beta);
    const rejectedRewards = averageLogp(l.policyRejected, l.rejectedLengths).mul(o.beta);
    const z = chosenRewards.sub(rejectedRewards).sub(o.gamma);
    const eps = o.labelSmoothing ?? 0;
    const loss = z
      .logSigmoid()
      .mul(-(1 - eps))
      .sub(z.neg().logSigmoid().mul(eps))
      .mean();
    return { loss, chosenRewards: chosenRewards.detach(), rejectedRewards: rejectedRewards.detach() };
  });
}

/**
 * CPO (Xu et al. 2024, Eq. 3 with the behaviour-cloning term):
 *   L = −log σ(β·log π(y_w|x) − β·log π(y_l|x)) + λ·NLL(y_w),  NLL(y_w) = −(1/|y_w|)·log π(y_w|x).
 * With `lengthNormalize` and γ this becomes CPO-SimPO (TRL's loss_type="simpo" with cpo_alpha = λ).
 */
export function cpoLoss(
  l: PreferenceLogps,
  o: { beta: number; nllWeight: number; lengthNormalize?: boolean; gamma?: number },
): PreferenceLossOutput {
  return tidy(() => {
    const norm = o.lengthNormalize ?? false;
    const chosen = (norm ? averageLogp(l.policyChosen, l.chosenLengths) : l.policyChosen).mul(o.beta);
    const rejected = (norm ? averageLogp(l.policyRejected, l.rejectedLengths) : l.policyRejected).mul(o.beta);
    const preference = chosen
      .sub(rejected)
      .sub(o.gamma ?? 0)
      .logSigmoid()
      .neg();
    const nll = averageLogp(l.policyChosen, l.chosenLengths).neg();
    const loss = preference.add(nll.mul(o.nllWeight)).mean();
    return { loss, chosenRewards: chosen.detach(), rejectedRewards: rejected.detach() };
  });
}

/**
 * ORPO (Hong et al. 2024, Eqs. 6–7): L = NLL(y_w) + λ·[−log σ(log odds(y_w) − log odds(y_l))],
 * odds(y) = P(y)/(1 − P(y)) with P(y) = exp((1/|y|)·log π(y|x)), so
 * log odds(y) = a − log(1 − e^a), a the average log-prob (computed as a − log(−expm1(a))).
 */
export function orpoLoss(l: PreferenceLogps, o: { lambda: number; beta?: number }): PreferenceLossOutput {
  return tidy(() => {
    const aw = averageLogp(l.policyChosen, l.chosenLengths);
    const al = averageLogp(l.policyRejected, l.rejectedLengths);
    const logOdds = (a: Tensor) => a.sub(a.expm1().neg().log());
    const oddsRatio = logOdds(aw).sub(logOdds(al)).logSigmoid().neg();
    const loss = aw.neg().add(oddsRatio.mul(o.lambda)).mean();
    const beta = o.beta ?? o.lambda;
    return { loss, chosenRewards: aw.detach().mul(beta), rejectedRewards: al.detach().mul(beta) };
  });
}
