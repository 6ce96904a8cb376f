/** The preference-loss family behind one dispatcher, so trainers select a loss by name. */
import type { PreferenceLogps, PreferenceLossName, PreferenceLossOutput } from './types.ts';
import { cdpoLoss, dpoLoss, hingeLoss, ipoLoss, robustDpoLoss } from './reference-based.ts';
import { cpoLoss, orpoLoss, simpoLoss } from './reference-free.ts';

export * from './types.ts';
export * from './reference-based.ts';
export * from './reference-free.ts';

/** Hyperparameters of every preference loss (each loss reads the ones it needs). */
export interface PreferenceLossParams {
  /** Inverse temperature β (DPO family, SimPO, CPO); IPO's τ. */
  beta: number;
  /** SimPO target margin γ (also CPO-SimPO). */
  gamma: number;
  /** Label-flip rate ε for cDPO / robust DPO / SimPO smoothing. */
  labelSmoothing: number;
  /** Weight λ of the NLL term (CPO) or of the odds-ratio term (ORPO). */
  nllWeight: number;
}

export function preferenceLoss(
  name: PreferenceLossName,
  l: PreferenceLogps,
  p: PreferenceLossParams,
): PreferenceLossOutput {
  switch (name) {
    case 'dpo':
      return dpoLoss(l, p);
    case 'cdpo':
      return cdpoLoss(l, p);
    case 'robust':
      return robustDpoLoss(l, p);
    case 'ipo':
      return ipoLoss(l, p);
    case 'hinge':
      return hingeLoss(l, p);
    case 'simpo':
      return simpoLoss(l, p);
    case 'cpo':
      return cpoLoss(l, { beta: p.beta, nllWeight: p.nllWeight });
    case 'orpo':
      return orpoLoss(l, { lambda: p.nllWeight, beta: p.beta });
  }
}
