/**
 * A one-prompt bandit with exact optima, exported as baselines for online-trainer tests: rewards
 * r(y), a reference policy π_ref, and the exact optimal policies of the three objectives
 *   KL:            max E_π[r] − β·KL(π‖π_ref)   ⇒ π ∝ π_ref·exp(r/β)
 *   entropy:       max E_π[r] + α·H(π)           ⇒ π ∝ exp(r/α)
 *   unregularised: max E_π[r]                    ⇒ all mass on argmax r.
 */
import { entropy, klDivergence } from './information.ts';
import {
  klRegularizedOptimalPolicy,
  maxEntOptimalPolicy,
  unregularizedOptimalPolicy,
} from './optimal-policies.ts';
import { createPrng } from './prng.ts';
import { dot, softmax } from './vector-math.ts';

export interface OneStepBandit {
  rewards: number[];
  referencePolicy: number[];
  klOptimalPolicy(beta: number): number[];
  entropyOptimalPolicy(alpha: number): number[];
  unregularizedOptimalPolicy(): number[];
  /** E_{y∼π}[r(y)]. */
  expectedReward(policy: readonly number[]): number;
  /** E_π[r] − β·KL(π‖π_ref). */
  klObjective(policy: readonly number[], beta: number): number;
  /** E_π[r] + α·H(π). */
  entropyObjective(policy: readonly number[], alpha: number): number;
}

export interface OneStepBanditOptions {
  nResponses: number;
  seed: number;
  /** Rewards are rewardScale·N(0,1); default 1. */
  rewardScale?: number;
}

/** Draws rewards ∼ N(0, scale²) and π_ref = softmax(N(0, 1)) from the seed. */
export function oneStepBandit(options: OneStepBanditOptions): OneStepBandit {
  if (!Number.isInteger(options.nResponses) || options.nResponses < 2)
    throw new Error('nResponses must be an integer ≥ 2');
  const rng = createPrng(options.seed);
  const scale = options.rewardScale ?? 1;
  const rewards = Array.from({ length: options.nResponses }, () => scale * rng.normal());
  const referencePolicy = softmax(Array.from({ length: options.nResponses }, () => rng.normal()));
  return {
    rewards,
    referencePolicy,
    klOptimalPolicy: (beta) => klRegularizedOptimalPolicy(rewards, referencePolicy, beta),
    entropyOptimalPolicy: (alpha) => maxEntOptimalPolicy(rewards, alpha),
    unregularizedOptimalPolicy: () => unregularizedOptimalPolicy(rewards),
    expectedReward: (policy) => dot(policy, rewards),
    klObjective: (policy, beta) => dot(policy, rewards) - beta * klDivergence(policy, referencePolicy),
    entropyObjective: (policy, alpha) => dot(policy, rewards) + alpha * entropy(policy),
  };
}
