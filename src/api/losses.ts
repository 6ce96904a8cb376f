/**
 * Losses as pure functions of tensors, each citing its equation: the preference family (DPO, cDPO,
 * robust DPO, IPO, hinge, SimPO, CPO, ORPO), Bradley-Terry, KL estimators, entropy, GAE, RLOO, PPO.
 * @module losses
 */
export * from '../losses/index.ts';
