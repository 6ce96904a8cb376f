/** Losses as pure functions of tensors, each citing the equation it implements. */
export * from './preference.ts';
export * from './reward-model.ts';
export * from './rl/advantages.ts';
export * from './rl/kl.ts';
export * from './rl/policy.ts';
