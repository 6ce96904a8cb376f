/**
 * The preference-loss family (DPO and its variants, SimPO, CPO, ORPO) as pure functions of sequence
 * log-probabilities, each citing the equation it implements, behind one dispatcher so trainers
 * select a loss by name. Every loss is a mean over the batch and returns the implicit rewards TRL logs.
 */
import { type Tensor, tidy } from '../tensor/index.ts';
import type { PreferenceLossName } from './names.ts';

export { PREFERENCE_LOSSES, type PreferenceLossName, REFERENCE_LOSSES } from './names.ts';

/**
 * Sequence log-probabilities of a batch of preference pairs, all shape [B].
 * `policy*` and `ref*` are sums over response tokens of log π(y_t | x, y_<t); lengths are response token counts.
 */
export interface PreferenceLogps {
  policyChosen: Tensor;
  policyRejected: Tensor;
  chosenLengths: Tensor;
  rejectedLengths: Tensor;
  /** Reference-model log-probs; required by reference-based losses (DPO, IPO, hinge, robust). */
  refChosen?: Tensor;
  refRejected?: Tensor;
}

/** A loss value (scalar mean over the batch) with the implicit rewards TRL logs (detached, [B]). */
export interface PreferenceLossOutput {
  loss: Tensor;
  chosenRewards: Tensor;
  rejectedRewards: Tensor;
}

/** Hyperparameters of every preference loss (each loss reads the ones it needs). */
export interface PreferenceLossParams {
  /** Inverse temperature β (DPO family, SimPO, CPO); IPO's τ. */
  beta: number;
  /** SimPO target margin γ (also CPO-SimPO). */
  gamma: number;
  /** Label-flip rate ε for cDPO / robust DPO / SimPO smoothing. */
  labelSmoothing: number;
  /** Weight λ of the NLL term (CPO, CPO-SimPO) or of the odds-ratio term (ORPO). */
  nllWeight: number;
  /** SimPO: divide each sequence log-probability by its length (default true; false: an ablation). */
  lengthNormalize?: boolean;
}

export function preferenceLoss(
  name: PreferenceLossName,
  logps: PreferenceLogps,
  params: PreferenceLossParams,
): PreferenceLossOutput {
  switch (name) {
    case 'dpo':
      return dpoLoss(logps, params);
    case 'cdpo':
      return cdpoLoss(logps, params);
    case 'robust':
      return robustDpoLoss(logps, params);
    case 'ipo':
      return ipoLoss(logps, params);
    case 'hinge':
      return hingeLoss(logps, params);
    case 'simpo':
      return simpoLoss(logps, params);
    case 'cpo':
      return cpoLoss(logps, { beta: params.beta, nllWeight: params.nllWeight });
    case 'cpo-simpo':
      return cpoLoss(logps, {
        beta: params.beta,
        nllWeight: params.nllWeight,
        lengthNormalize: true,
        gamma: params.gamma,
      });
    case 'orpo':
      return orpoLoss(logps, { lambda: params.nllWeight, beta: params.beta });
  }
}

// ---- shared pieces ----

/**
 * The logistic loss of a preference label flipped with probability ε:
 *   −(1−ε)·log σ(z) − w·log σ(−z),
 * with w = ε for the expected loss under label noise (cDPO, SimPO's smoothing) and w = −ε for robust
 * DPO's unbiased estimator (before its 1/(1 − 2ε)). ε = 0 is the plain −log σ(z).
 */
function labelNoiseLoss(z: Tensor, epsilon: number, flippedWeight: number): Tensor {
  return z
    .logSigmoid()
    .mul(-(1 - epsilon))
    .sub(z.neg().logSigmoid().mul(flippedWeight));
}

/** Per-token average log-probability (1/|y|)·log π(y|x), SimPO's length normalisation. */
export function averageLogp(sumLogps: Tensor, lengths: Tensor): Tensor {
  return sumLogps.div(lengths);
}

/**
 * The implicit rewards of the reference-free losses (SimPO, CPO): r(x,y) = β·log π(y|x), divided
 * by |y| when `lengthNormalize` (SimPO's r = (β/|y|)·log π(y|x)).
 */
function referenceFreeRewards(
  logps: PreferenceLogps,
  beta: number,
  lengthNormalize: boolean,
): { chosen: Tensor; rejected: Tensor } {
  const perToken = (sum: Tensor, lengths: Tensor) => (lengthNormalize ? averageLogp(sum, lengths) : sum);
  return {
    chosen: perToken(logps.policyChosen, logps.chosenLengths).mul(beta),
    rejected: perToken(logps.policyRejected, logps.rejectedLengths).mul(beta),
  };
}

function requireRef(logps: PreferenceLogps, loss: string): { refChosen: Tensor; refRejected: Tensor } {
  if (!logps.refChosen || !logps.refRejected)
    throw new Error(`${loss} needs reference log-probs (refChosen, refRejected)`);
  return { refChosen: logps.refChosen, refRejected: logps.refRejected };
}

// ---- reference-based losses ----
// With the log-ratio margin
//   h = [log π(y_w|x) − log π_ref(y_w|x)] − [log π(y_l|x) − log π_ref(y_l|x)],
// each loss is a function of β·h; the implicit rewards are β(log π − log π_ref).

function logRatioMargin(logps: PreferenceLogps, loss: string) {
  const { refChosen, refRejected } = requireRef(logps, loss);
  const chosen = logps.policyChosen.sub(refChosen);
  const rejected = logps.policyRejected.sub(refRejected);
  return { chosen, rejected, margin: chosen.sub(rejected) };
}

function implicitRewards(beta: number, chosen: Tensor, rejected: Tensor) {
  return { chosenRewards: chosen.detach().mul(beta), rejectedRewards: rejected.detach().mul(beta) };
}

/** DPO (Rafailov et al. 2023, Eq. 7): L = −log σ(β·h). */
export function dpoLoss(logps: PreferenceLogps, params: { beta: number }): PreferenceLossOutput {
  return tidy(() => {
    const { chosen, rejected, margin } = logRatioMargin(logps, 'dpo');
    return {
      loss: margin.mul(params.beta).logSigmoid().neg().mean(),
      ...implicitRewards(params.beta, chosen, rejected),
    };
  });
}

/**
 * Conservative DPO (cDPO; Mitchell 2023) — labels flipped with probability ε:
 *   L = −(1−ε)·log σ(β·h) − ε·log σ(−β·h).
 */
export function cdpoLoss(
  logps: PreferenceLogps,
  params: { beta: number; labelSmoothing: number },
): PreferenceLossOutput {
  return tidy(() => {
    const { chosen, rejected, margin } = logRatioMargin(logps, 'cdpo');
    const eps = params.labelSmoothing;
    return {
      loss: labelNoiseLoss(margin.mul(params.beta), eps, eps).mean(),
      ...implicitRewards(params.beta, chosen, rejected),
    };
  });
}

/**
 * Robust DPO (Chowdhury et al. 2024, Eq. 10), unbiased under label-flip rate ε < ½:
 *   L = [−(1−ε)·log σ(β·h) + ε·log σ(−β·h)] / (1 − 2ε).
 */
export function robustDpoLoss(
  logps: PreferenceLogps,
  params: { beta: number; labelSmoothing: number },
): PreferenceLossOutput {
  const eps = params.labelSmoothing;
  if (!(eps < 0.5)) throw new Error(`robust DPO needs labelSmoothing < 0.5, got ${eps}`);
  return tidy(() => {
    const { chosen, rejected, margin } = logRatioMargin(logps, 'robust');
    const loss = labelNoiseLoss(margin.mul(params.beta), eps, -eps).div(1 - 2 * eps);
    return { loss: loss.mean(), ...implicitRewards(params.beta, chosen, rejected) };
  });
}

/**
 * IPO (Azar et al. 2023, Eq. 17): L = (h − 1/(2τ))², τ = β. As in TRL, h uses per-token average
 * log-probs (lengthNormalize, default true) so the target 1/(2τ) does not depend on length.
 */
export function ipoLoss(
  logps: PreferenceLogps,
  params: { beta: number; lengthNormalize?: boolean },
): PreferenceLossOutput {
  return tidy(() => {
    const { refChosen, refRejected } = requireRef(logps, 'ipo');
    const norm = params.lengthNormalize ?? true;
    const chosen = logps.policyChosen.sub(refChosen).div(norm ? logps.chosenLengths : 1);
    const rejected = logps.policyRejected.sub(refRejected).div(norm ? logps.rejectedLengths : 1);
    const loss = chosen
      .sub(rejected)
      .sub(1 / (2 * params.beta))
      .square()
      .mean();
    return { loss, ...implicitRewards(params.beta, chosen, rejected) };
  });
}

/** Hinge / SLiC (Zhao et al. 2023): L = max(0, 1 − β·h). */
export function hingeLoss(logps: PreferenceLogps, params: { beta: number }): PreferenceLossOutput {
  return tidy(() => {
    const { chosen, rejected, margin } = logRatioMargin(logps, 'hinge');
    return {
      loss: margin.mul(params.beta).rsub(1).relu().mean(),
      ...implicitRewards(params.beta, chosen, rejected),
    };
  });
}

// ---- reference-free losses: no π_ref term anywhere, so no reference model is needed ----

/**
 * SimPO (Meng et al. 2024, Eq. 6):
 *   L = −log σ( (β/|y_w|)·log π(y_w|x) − (β/|y_l|)·log π(y_l|x) − γ ),
 * with implicit reward r(x,y) = (β/|y|)·log π(y|x) and target margin γ. Optional label smoothing
 * ε as in the SimPO repository: −(1−ε)·log σ(z) − ε·log σ(−z). `lengthNormalize: false` drops the
 * 1/|y| (r = β·log π(y|x)): the ablation of SimPO's length normalisation (Meng et al. 2024, §4).
 */
export function simpoLoss(
  logps: PreferenceLogps,
  params: { beta: number; gamma: number; labelSmoothing?: number; lengthNormalize?: boolean },
): PreferenceLossOutput {
  return tidy(() => {
    const { chosen: chosenRewards, rejected: rejectedRewards } = referenceFreeRewards(
      logps,
      params.beta,
      params.lengthNormalize ?? true,
    );
    const eps = params.labelSmoothing ?? 0;
    const loss = labelNoiseLoss(chosenRewards.sub(rejectedRewards).sub(params.gamma), eps, eps).mean();
    return { loss, chosenRewards: chosenRewards.detach(), rejectedRewards: rejectedRewards.detach() };
  });
}

/**
 * CPO (Xu et al. 2024, Eq. 3 with the behaviour-cloning term):
 *   L = −log σ(β·log π(y_w|x) − β·log π(y_l|x)) + λ·NLL(y_w),  NLL(y_w) = −(1/|y_w|)·log π(y_w|x).
 * With `lengthNormalize` and γ this is CPO-SimPO, SimPO's loss plus λ·NLL (TRL's CPO trainer with
 * loss_type="simpo" and cpo_alpha = λ); the dispatcher's 'cpo-simpo'.
 */
export function cpoLoss(
  logps: PreferenceLogps,
  params: { beta: number; nllWeight: number; lengthNormalize?: boolean; gamma?: number },
): PreferenceLossOutput {
  return tidy(() => {
    const { chosen, rejected } = referenceFreeRewards(logps, params.beta, params.lengthNormalize ?? false);
    const preference = chosen
      .sub(rejected)
      .sub(params.gamma ?? 0)
      .logSigmoid()
      .neg();
    const nll = averageLogp(logps.policyChosen, logps.chosenLengths).neg();
    const loss = preference.add(nll.mul(params.nllWeight)).mean();
    return { loss, chosenRewards: chosen.detach(), rejectedRewards: rejected.detach() };
  });
}

/**
 * ORPO (Hong et al. 2024, Eqs. 6–7): L = NLL(y_w) + λ·[−log σ(log odds(y_w) − log odds(y_l))],
 * odds(y) = P(y)/(1 − P(y)) with P(y) = exp((1/|y|)·log π(y|x)), so
 * log odds(y) = a − log(1 − e^a), a the average log-prob (computed as a − log(−expm1(a))).
 */
export function orpoLoss(
  logps: PreferenceLogps,
  params: { lambda: number; beta?: number },
): PreferenceLossOutput {
  return tidy(() => {
    const aw = averageLogp(logps.policyChosen, logps.chosenLengths);
    const al = averageLogp(logps.policyRejected, logps.rejectedLengths);
    const logOdds = (a: Tensor) => a.sub(a.expm1().neg().log());
    const oddsRatio = logOdds(aw).sub(logOdds(al)).logSigmoid().neg();
    const loss = aw.neg().add(oddsRatio.mul(params.lambda)).mean();
    const beta = params.beta ?? params.lambda;
    return { loss, chosenRewards: aw.detach().mul(beta), rejectedRewards: al.detach().mul(beta) };
  });
}
