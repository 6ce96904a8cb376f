/**
 * Theory made executable (docs/theory.md): exact float64 tabular problems, the closed-form optima
 * of KL- and entropy-regularised RL, PL/BT preference models, the SimPO population loss with a
 * pluggable pairwise loss, the table of checks, and one-step bandit baselines for trainer tests.
 */
export * from './check-row.ts';
export * from './check-settings.ts';
export * from './format-theory-table.ts';
export * from './information.ts';
export * from './kl-estimators.ts';
export * from './lbfgs.ts';
export * from './lemma-checks.ts';
export * from './linear-solve.ts';
export * from './objectives.ts';
export * from './one-step-bandit.ts';
export * from './optimal-policies.ts';
export * from './optimum-checks.ts';
export * from './preference-loss.ts';
export * from './preference-models.ts';
export * from './preference-population.ts';
export * from './prng.ts';
export * from './run-theory-checks.ts';
export * from './simplex-optimizer.ts';
export * from './simpo-closed-forms.ts';
export * from './tabular-problem.ts';
export * from './tensor-simpo-loss.ts';
export * from './theorem-checks.ts';
export * from './vector-math.ts';
