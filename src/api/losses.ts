/**
 * Losses as pure functions of tensors, each citing its equation: the preference family (DPO, cDPO,
 * robust DPO, IPO, hinge, SimPO, CPO, ORPO), Bradley-Terry, KL estimators, entropy, GAE, RLOO, PPO,
 * GRPO and Dr. GRPO, REINFORCE++, TRL's sequence-level RLOO surrogate.
 * @module losses
 */
export * from '../losses/index.ts';
