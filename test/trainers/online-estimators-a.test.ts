/**
 * The estimator × regularizer table, first half (PPO, RLOO, TRL's RLOO, REINFORCE): the real
 * trainOnline loop on the one-step bandit ends at the optimum of the objective each configuration
 * optimises (test/trainers/estimator-bandit.ts says which, and why). The printed table:
 * `node bin/run-ts.mjs scripts/bandit-table.ts` (docs/estimators.md).
 */
import { expect, it } from 'vitest';
import { BETA, describeTable, ESTIMATORS, optimumOf, totalVariation } from './estimator-bandit.ts';

const finals = describeTable(ESTIMATORS.slice(0, 4));

it('KL k3 in the loss reaches the reverse-KL optimum β·π_ref/(λ − r), not π_ref·exp(r/β)/Z (RLOO)', () => {
  const p = finals.get('RLOO | KL k3 loss')!;
  expect(totalVariation(optimumOf.reverseKl(BETA), optimumOf.kl(BETA))).toBeGreaterThan(0.025);
  expect(totalVariation(p, optimumOf.reverseKl(BETA))).toBeLessThan(0.01);
  expect(totalVariation(p, optimumOf.kl(BETA))).toBeGreaterThan(0.018);
});
