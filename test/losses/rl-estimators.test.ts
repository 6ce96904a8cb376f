/**
 * GRPO, Dr. GRPO, REINFORCE++ (with and without its baseline) and TRL's sequence-level RLOO
 * surrogate on fixed inputs, against values computed by hand from the papers' formulas.
 */
import { describe, expect, it } from 'vitest';
import {
  aggregateTokenLosses,
  discountedReturns,
  gae,
  groupRelativeAdvantages,
  klEstimate,
  lastTokenOneHot,
  maskWithNextPosition,
  ppoPolicyLoss,
  reinforcePlusPlusAdvantages,
  sequencePolicyLoss,
} from '../../src/losses/index.ts';
import { tensor } from '../../src/tensor/index.ts';
import { regularizerLoss } from '../../src/trainers/online/regularizers.ts';

const t64 = (x: number[] | number[][]) => tensor(x, { dtype: 'float64' });
const close = (actual: number[], expected: number[], digits = 10) => {
  expect(actual.length).toBe(expected.length);
  for (const [i, a] of actual.entries()) expect(a).toBeCloseTo(expected[i]!, digits);
};
const sampleStd = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
};

describe('GRPO group-relative advantages (DeepSeekMath Eq. 3, outcome supervision)', () => {
  it('Â_i = (r_i − mean)/std per group; Dr. GRPO only subtracts the mean; a tied group gives 0', () => {
    const scores = [1, 2, 3, 6, 0.5, 0.5, 0.5, 0.5];
    // Group 1: mean 3, sample std √((4 + 1 + 0 + 9)/3) = √(14/3).
    const std = Math.sqrt(14 / 3);
    close(groupRelativeAdvantages(t64(scores), 4, true).toArray(), [
      -2 / (std + 1e-6),
      -1 / (std + 1e-6),
      0,
      3 / (std + 1e-6),
      0,
      0,
      0,
      0,
    ]);
    close(groupRelativeAdvantages(t64(scores), 4, false).toArray(), [-2, -1, 0, 3, 0, 0, 0, 0]);
    expect(() => groupRelativeAdvantages(t64(scores), 1, true)).toThrow(/>= 2 samples/);
  });

  it('the GRPO loss: (1/G)Σ_i (1/|o_i|)Σ_t [−min(ρA, clip(ρ)A) + β·k3], k3 at the current policy', () => {
    // Two responses of lengths 2 and 1 (the second padded), ratios and advantages chosen so that one
    // token is clipped (ρ = 1.5 > 1 + ε with A > 0).
    const logps = [
      [Math.log(0.6), Math.log(0.3)],
      [Math.log(0.9), 0],
    ];
    const old = [
      [Math.log(0.4), Math.log(0.3)],
      [Math.log(0.6), 0],
    ];
    const ref = [
      [Math.log(0.5), Math.log(0.2)],
      [Math.log(0.3), 0],
    ];
    const adv = [
      [1, 1],
      [-2, 0],
    ];
    const mask = [
      [1, 1],
      [1, 0],
    ];
    const eps = 0.2;
    const beta = 0.1;
    const term = (i: number, t: number) => {
      const rho = Math.exp(logps[i]![t]! - old[i]![t]!);
      const a = adv[i]![t]!;
      const surrogate = Math.min(rho * a, Math.min(Math.max(rho, 1 - eps), 1 + eps) * a);
      const r = Math.exp(ref[i]![t]! - logps[i]![t]!); // π_ref/π
      return -surrogate + beta * (r - 1 - Math.log(r));
    };
    const expected = ((term(0, 0) + term(0, 1)) / 2 + term(1, 0) / 1) / 2;
    const policy = ppoPolicyLoss(t64(logps), t64(old), t64(adv), t64(mask), eps, 'sequence-mean');
    const kl = regularizerLoss(
      { kl: { coef: beta, estimator: 'k3', placement: 'loss', adaptive: null }, entropy: null },
      t64(logps),
      t64([
        [0, 0],
        [0, 0],
      ]),
      t64(ref),
      t64(mask),
      (x, m) => aggregateTokenLosses(x, m, 'sequence-mean'),
    );
    expect(policy.loss.add(kl).item()).toBeCloseTo(expected, 12);
  });
});

describe('token-loss aggregation', () => {
  const losses = t64([
    [1, 2, 3],
    [4, 0, 0],
  ]);
  const mask = t64([
    [1, 1, 1],
    [1, 0, 0],
  ]);
  it('token-mean, sequence-mean (GRPO) and constant (Dr. GRPO) by hand', () => {
    expect(aggregateTokenLosses(losses, mask, 'token-mean').item()).toBeCloseTo(10 / 4, 12);
    expect(aggregateTokenLosses(losses, mask, 'sequence-mean').item()).toBeCloseTo((6 / 3 + 4 / 1) / 2, 12);
    expect(aggregateTokenLosses(losses, mask, 'constant', 5).item()).toBeCloseTo(10 / (2 * 5), 12);
    expect(() => aggregateTokenLosses(losses, mask, 'constant')).toThrow(/generation budget/);
  });
});

describe('REINFORCE++ (global-batch normalised returns, token-level KL in the reward)', () => {
  it('discounted returns G_t = r_t + γ·G_{t+1}, nothing past the response', () => {
    const G = discountedReturns(
      t64([
        [1, 2, 3],
        [4, 5, 7],
      ]),
      t64([
        [1, 1, 1],
        [1, 1, 0],
      ]),
      0.5,
    ).toArray();
    close(G, [1 + 0.5 * (2 + 0.5 * 3), 2 + 0.5 * 3, 3, 4 + 0.5 * 5, 5, 0]);
  });

  // Two prompts × two samples; the second sample of prompt 1 is one token shorter.
  const scores = [1, 3, -1, 0];
  const kl = [
    [-0.1, -0.2, 0.05],
    [0.1, 0, -0.3],
    [-0.05, 0.2, 0.1],
    [0.3, -0.1, 0],
  ];
  const mask = [
    [1, 1, 1],
    [1, 1, 1],
    [1, 1, 1],
    [1, 1, 0],
  ];
  const byHand = (s: number[], gamma: number) => {
    const G: number[][] = kl.map((row, i) => {
      const last = mask[i]!.lastIndexOf(1);
      const r = row.map((k, t) => (t <= last ? k + (t === last ? s[i]! : 0) : 0));
      const out = [0, 0, 0];
      let next = 0;
      for (let t = 2; t >= 0; t--) {
        next = t <= last ? r[t]! + gamma * next : 0;
        out[t] = next;
      }
      return out;
    });
    const valid = G.flatMap((row, i) => row.filter((_, t) => mask[i]![t] === 1));
    const m = valid.reduce((a, b) => a + b, 0) / valid.length;
    const sd = sampleStd(valid);
    return G.flatMap((row, i) =>
      row.map((g, t) => (mask[i]![t] === 1 ? (g - m) / Math.sqrt(sd * sd + 1e-8) : 0)),
    );
  };

  it('REINFORCE++: A = (G − mean)/std over every response token of the batch', () => {
    close(reinforcePlusPlusAdvantages(t64(scores), t64(kl), t64(mask), 0.9).toArray(), byHand(scores, 0.9));
  });

  it('REINFORCE++-baseline: each score minus its prompt mean first, the KL untouched', () => {
    const centred = [1 - 2, 3 - 2, -1 + 0.5, 0 + 0.5];
    close(reinforcePlusPlusAdvantages(t64(scores), t64(kl), t64(mask), 1, 2).toArray(), byHand(centred, 1));
    expect(() => reinforcePlusPlusAdvantages(t64(scores), t64(kl), t64(mask), 1, 1)).toThrow(/>= 2 samples/);
  });
});

describe("TRL's RLOO surrogate: one clipped ratio per response", () => {
  it('ρ_i = exp(Σ_t log π − Σ_t log π_old), L = mean_i max(−A_i ρ_i, −A_i clip(ρ_i))', () => {
    const logps = [
      [-1, -0.5],
      [-0.2, -9],
    ];
    const old = [
      [-1.1, -0.7],
      [-0.3, -1],
    ];
    const mask = [
      [1, 1],
      [1, 0],
    ];
    const adv = [2, -1];
    const rho = [Math.exp(-1.5 + 1.8), Math.exp(-0.2 + 0.3)];
    const clip = (x: number) => Math.min(Math.max(x, 0.8), 1.2);
    const expected =
      (Math.max(-adv[0]! * rho[0]!, -adv[0]! * clip(rho[0]!)) +
        Math.max(-adv[1]! * rho[1]!, -adv[1]! * clip(rho[1]!))) /
      2;
    const out = sequencePolicyLoss(t64(logps), t64(old), t64(adv), t64(mask), 0.2);
    expect(out.loss.item()).toBeCloseTo(expected, 12);
    expect(out.clipfrac.item()).toBeCloseTo(0.5, 12); // response 0: ρ = e^0.3 > 1.2 with A > 0
  });
});

describe('where the score is paid (PPO)', () => {
  const mask = t64([
    [1, 1, 0, 0],
    [1, 1, 1, 1],
  ]);
  it('last token, and the next position where there is room (the TL;DR PPO placement)', () => {
    close(lastTokenOneHot(mask).toArray(), [0, 1, 0, 0, 0, 0, 0, 1]);
    const extended = maskWithNextPosition(mask);
    close(extended.toArray(), [1, 1, 1, 0, 1, 1, 1, 1]);
    close(lastTokenOneHot(extended).toArray(), [0, 0, 1, 0, 0, 0, 0, 1]);
  });

  it('with the score one position later, GAE discounts it by γλ once more and bootstraps on V there', () => {
    // One response of 2 tokens: KL rewards k0, k1, score s on the state after it (value v2).
    const [k0, k1, s] = [-0.1, -0.2, 1.5];
    const [v0, v1, v2] = [0.3, 0.5, 0.9];
    const [gamma, lambda] = [1, 0.95];
    const extended = maskWithNextPosition(t64([[1, 1, 0]]));
    const { advantages } = gae(t64([[k0, k1, s]]), t64([[v0, v1, v2]]), extended, gamma, lambda);
    const a2 = s - v2;
    const a1 = k1 + gamma * v2 - v1 + gamma * lambda * a2;
    const a0 = k0 + gamma * v1 - v0 + gamma * lambda * a1;
    close(advantages.toArray(), [a0, a1, a2]);
    // The usual placement: the score on the last token, no value after it.
    const last = gae(t64([[k0, k1 + s, 0]]), t64([[v0, v1, 0]]), t64([[1, 1, 0]]), gamma, lambda).advantages;
    const b1 = k1 + s - v1;
    close(last.toArray(), [k0 + gamma * v1 - v0 + gamma * lambda * b1, b1, 0]);
    // With λ = 1 both give the same advantages on the response tokens.
    const same = gae(t64([[k0, k1, s]]), t64([[v0, v1, v2]]), extended, 1, 1).advantages.toArray();
    const usual = gae(
      t64([[k0, k1 + s, 0]]),
      t64([[v0, v1, 0]]),
      t64([[1, 1, 0]]),
      1,
      1,
    ).advantages.toArray();
    close(same.slice(0, 2), usual.slice(0, 2));
  });
});

describe('k3 in the loss', () => {
  it('is the estimator GRPO names: π_ref/π − 1 − log(π_ref/π)', () => {
    const logRatio = Math.log(0.6 / 0.5); // log π − log π_ref
    expect(klEstimate(t64([logRatio]), 'k3').item()).toBeCloseTo(0.5 / 0.6 - 1 - Math.log(0.5 / 0.6), 14);
  });
});
