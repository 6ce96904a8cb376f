/**
 * Fixed settings of the theory checks. β and γ follow the SimPO repository's defaults
 * (β = 2.0, γ = β·gamma_beta_ratio = 2.0·0.25; docs/theory.md, reference-settings.md).
 */
export const SIMPO_BETA = 2;
export const SIMPO_GAMMA = 0.5;

/** Algebraic identities evaluated in float64: only rounding error is allowed. */
export const EXACT_TOLERANCE = 1e-12;
/** Closed form vs a numerical optimum (L-BFGS: ‖∇‖∞ < 1e-11; simplex Newton: KKT residual < 1e-11). */
export const OPTIMUM_TOLERANCE = 1e-6;
/** A deviation must exceed this in EVERY instance for an objection row to pass. */
export const OBJECTION_THRESHOLD = 1e-3;

/** Reward shifts f(x) used for equivalence classes: ±(1 + 4|N(0,1)|), so |f| ≥ 1 always. */
export const SHIFT_SCALE = 4;
