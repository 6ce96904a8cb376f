/**
 * The estimator × regularizer table, second half (GRPO, Dr. GRPO, REINFORCE++, REINFORCE++-baseline):
 * see online-estimators-a.test.ts and test/trainers/estimator-bandit.ts.
 */
import { expect, it } from 'vitest';
import { ALPHA, BETA, describeTable, ESTIMATORS, optimumOf, totalVariation } from './estimator-bandit.ts';

const finals = describeTable(ESTIMATORS.slice(4));
const groupFactor = 4 / 3; // G/(G − 1), G = 4

it("Dr. GRPO's group mean includes the sample: a loss-placed KL acts with β·G/(G−1)", () => {
  const p = finals.get('Dr. GRPO | KL k2 loss')!;
  expect(totalVariation(optimumOf.kl(BETA * groupFactor), optimumOf.kl(BETA))).toBeGreaterThan(0.04);
  expect(totalVariation(p, optimumOf.kl(BETA * groupFactor))).toBeLessThan(0.015);
  expect(totalVariation(p, optimumOf.kl(BETA))).toBeGreaterThan(0.025);
});

it('REINFORCE++-baseline centres only the score: its reward-placed KL and entropy act with c·G/(G−1)', () => {
  const kl = finals.get('REINFORCE++-baseline | KL k1 reward')!;
  expect(totalVariation(kl, optimumOf.kl(BETA * groupFactor))).toBeLessThan(0.015);
  expect(totalVariation(kl, optimumOf.kl(BETA))).toBeGreaterThan(0.025);
  const entropy = finals.get('REINFORCE++-baseline | entropy sampled reward')!;
  expect(totalVariation(entropy, optimumOf.entropy(ALPHA * groupFactor))).toBeLessThan(0.015);
  expect(totalVariation(entropy, optimumOf.entropy(ALPHA))).toBeGreaterThan(0.03);
});

it('GRPO (reward-placed terms) keeps the KL optimum despite its std: the whole return is normalised', () => {
  expect(totalVariation(finals.get('GRPO | KL k1 reward')!, optimumOf.kl(BETA))).toBeLessThan(0.01);
});
