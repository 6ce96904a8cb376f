/**
 * The online trainer on one-step bandits with known optima (src/theory/one-step-bandit.ts):
 *   KL-regularised   → π* ∝ π_ref·exp(r/β)
 *   entropy bonus    → π* ∝ exp(r/α)
 *   unregularised    → collapse onto argmax r
 * Each runs the real trainOnline loop (sampling, reward shaping, RLOO/PPO/REINFORCE updates).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Tensor, tensor } from '../../src/tensor/index.ts';
import { oneStepBandit } from '../../src/theory/one-step-bandit.ts';
import { OnlineTrainConfigSchema } from '../../src/trainers/online/config.ts';
import { TabularPolicy } from '../../src/trainers/online/tabular-policy.ts';
import { trainOnline } from '../../src/trainers/online/trainer.ts';
import type { Rollout } from '../../src/trainers/online/types.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const bandit = oneStepBandit({ nResponses: 5, seed: 7 });
const rewardOf = (r: Rollout): Tensor =>
  tensor(bandit.rewards, { dtype: 'float64' }).indexSelect(0, r.responseIds.reshape(-1));
const totalVariation = (p: number[], q: number[]) =>
  0.5 * p.reduce((s, pi, i) => s + Math.abs(pi - q[i]!), 0);

async function train(
  regularizer: Record<string, unknown>,
  algorithm: 'rloo' | 'ppo' | 'reinforce',
  withReference: boolean,
) {
  const ref = bandit.referencePolicy.map(Math.log);
  const policy = new TabularPolicy([ref]);
  const reference = withReference ? new TabularPolicy([ref], false) : null;
  const dir = mkdtempSync(join(tmpdir(), 'bandit-'));
  dirs.push(dir);
  const config = OnlineTrainConfigSchema.parse({
    algorithm,
    steps: 300,
    promptsPerStep: 128,
    lr: 0.05,
    schedule: 'linear',
    temperature: 1,
    maxNewTokens: 1,
    missingEosPenalty: null,
    regularizer,
    evalEvery: 0,
    checkpointEvery: 0,
    maxGradNorm: 100,
    seed: 3,
    rloo: { k: 4, epochs: 1, minibatchSize: 512 },
    ppo: { epochs: 1, minibatchSize: 512, gamma: 1, lambda: 1 },
  });
  await trainOnline({
    runDir: dir,
    name: 'bandit',
    config,
    policy,
    reference,
    reward: rewardOf,
    log: () => {},
    prompts: { count: 1, batch: (idx) => TabularPolicy.prompts(idx) },
  });
  return policy.probabilities()[0]!;
}

describe('online RLHF on a one-step bandit converges to the closed-form optimum', () => {
  it('KL-regularised (β = 0.5, k1 in the reward, RLOO) → π_ref·exp(r/β)/Z', async () => {
    const p = await train({ kl: { coef: 0.5, estimator: 'k1' } }, 'rloo', true);
    expect(totalVariation(p, bandit.klOptimalPolicy(0.5))).toBeLessThan(0.04);
  });

  it('KL-regularised with PPO (one token, γ = λ = 1) reaches the same optimum', async () => {
    const p = await train({ kl: { coef: 0.5, estimator: 'k1' } }, 'ppo', true);
    expect(totalVariation(p, bandit.klOptimalPolicy(0.5))).toBeLessThan(0.05);
  });

  it('entropy bonus (α = 0.5, sampled −log π in the reward, no reference) → exp(r/α)/Z', async () => {
    const p = await train({ entropy: { coef: 0.5, estimator: 'sampled' } }, 'rloo', false);
    expect(totalVariation(p, bandit.entropyOptimalPolicy(0.5))).toBeLessThan(0.04);
  });

  it('entropy bonus placed in the loss with the exact entropy reaches the same optimum', async () => {
    const p = await train(
      { entropy: { coef: 0.5, estimator: 'exact', placement: 'loss' } },
      'reinforce',
      false,
    );
    expect(totalVariation(p, bandit.entropyOptimalPolicy(0.5))).toBeLessThan(0.05);
  });

  it('no regularizer collapses onto argmax r', async () => {
    const p = await train({}, 'rloo', false);
    const best = bandit.rewards.indexOf(Math.max(...bandit.rewards));
    expect(p[best]).toBeGreaterThan(0.95);
  });

  it('the KL optimum and the entropy optimum differ here, so the tests above can tell them apart', () => {
    expect(totalVariation(bandit.klOptimalPolicy(0.5), bandit.entropyOptimalPolicy(0.5))).toBeGreaterThan(
      0.1,
    );
  });
});
