/**
 * The float64 SimPO loss and the population preference loss against hand formulas and finite
 * differences; the closed forms for its minimiser (unit-partition representative, two-response
 * margin root) against independent 1-D search; and the loss seam.
 */
import { describe, expect, it } from 'vitest';
import {
  bradleyTerryProbability,
  createPrng,
  createSimpoLoss,
  logSoftmax,
  maxEntLogPartition,
  maxEntOptimalPolicy,
  minimizePopulationPreferenceLoss,
  type PreferenceLossFn,
  populationPreferenceLoss,
  randomTabularProblem,
  simpoImplicitReward,
  twoResponseMarginOptimum,
  unitPartitionPolicy,
  unitPartitionShift,
} from '../../src/theory/index.ts';

const softplus = (x: number) => Math.log1p(Math.exp(x));

/** Minimiser of a unimodal f on [lo, hi] by golden-section search (independent of any formula). */
function goldenSection(f: (x: number) => number, lo: number, hi: number): number {
  const ratio = (Math.sqrt(5) - 1) / 2;
  let [a, b] = [lo, hi];
  for (let i = 0; i < 200; i++) {
    const c = b - ratio * (b - a);
    const d = a + ratio * (b - a);
    if (f(c) < f(d)) b = d;
    else a = c;
  }
  return (a + b) / 2;
}

describe('float64 SimPO loss', () => {
  it('matches −log σ(β·lw/|yw| − β·ll/|yl| − γ) by hand: β = 2, lw = −4, |yw| = 4, ll = −6, |yl| = 3, γ = 0.5', () => {
    // z = 2·(−1) − 2·(−2) − 0.5 = 1.5
    const out = createSimpoLoss({ beta: 2, gamma: 0.5 })([-4], [-6], [4], [3]);
    expect(out.loss).toBeCloseTo(softplus(-1.5), 15);
    expect(simpoImplicitReward(-6, 3, 2)).toBe(-4);
  });

  it('averages over the batch and has gradients equal to central finite differences', () => {
    const loss = createSimpoLoss({ beta: 1.7, gamma: 0.3 });
    const args: [number[], number[], number[], number[]] = [
      [-3.1, -8.0],
      [-2.2, -9.5],
      [2, 7],
      [5, 3],
    ];
    const out = loss(...args);
    const each = [0, 1].map((k) => loss([args[0][k]!], [args[1][k]!], [args[2][k]!], [args[3][k]!]).loss);
    expect(out.loss).toBeCloseTo((each[0]! + each[1]!) / 2, 15);
    const h = 1e-6;
    for (let k = 0; k < 2; k++) {
      for (const which of [0, 1] as const) {
        const plus = structuredClone(args);
        const minus = structuredClone(args);
        plus[which][k]! += h;
        minus[which][k]! -= h;
        const numeric = (loss(...plus).loss - loss(...minus).loss) / (2 * h);
        const analytic = which === 0 ? out.gradChosen[k]! : out.gradRejected[k]!;
        expect(Math.abs(numeric - analytic)).toBeLessThan(1e-9);
      }
    }
  });
});

describe('population preference loss', () => {
  it('equals the explicit sum E_x Σ P(w ≻ l)·ℓ and has a finite-difference gradient in the logits', () => {
    const problem = randomTabularProblem(createPrng(4), { nPrompts: 2 });
    const loss = createSimpoLoss({ beta: 2, gamma: 0.5 });
    const population = populationPreferenceLoss(problem, loss);
    const rng = createPrng(5);
    const size = problem.prompts.reduce((a, p) => a + p.rewards.length, 0);
    const logits = Array.from({ length: size }, () => rng.normal());
    let offset = 0;
    let explicit = 0;
    for (const p of problem.prompts) {
      const lp = logSoftmax(logits.slice(offset, offset + p.rewards.length));
      offset += p.rewards.length;
      for (let w = 0; w < lp.length; w++) {
        for (let l = 0; l < lp.length; l++) {
          if (w === l) continue;
          const z = (2 / p.lengths[w]!) * lp[w]! - (2 / p.lengths[l]!) * lp[l]! - 0.5;
          explicit +=
            (softplus(-z) * bradleyTerryProbability(p.rewards[w]!, p.rewards[l]!)) / problem.prompts.length;
        }
      }
    }
    const { value, gradient } = population(logits);
    expect(value).toBeCloseTo(explicit, 13);
    const h = 1e-6;
    logits.forEach((_, i) => {
      const plus = logits.map((v, j) => (j === i ? v + h : v));
      const minus = logits.map((v, j) => (j === i ? v - h : v));
      expect(
        Math.abs((population(plus).value - population(minus).value) / (2 * h) - gradient[i]!),
      ).toBeLessThan(1e-8);
    });
  });

  it('equal lengths, γ = 0: the minimiser is softmax(L·r/β), the MaxEnt optimum at α = β/L', () => {
    const problem = randomTabularProblem(createPrng(6), { lengths: 'equal' });
    const minimum = minimizePopulationPreferenceLoss(problem, createSimpoLoss({ beta: 2, gamma: 0 }));
    expect(minimum.converged).toBe(true);
    problem.prompts.forEach((p, x) => {
      const maxEnt = maxEntOptimalPolicy(p.rewards, 2 / p.lengths[0]!);
      expect(Math.max(...maxEnt.map((v, y) => Math.abs(v - minimum.policy[x]![y]!)))).toBeLessThan(1e-8);
    });
  });

  it('the seam takes any PreferenceLossFn: a SUM-reduced, duplicated-batch SimPO gives the same minimiser', () => {
    const simpo = createSimpoLoss({ beta: 2, gamma: 0.5 });
    const duplicatedSum: PreferenceLossFn = (c, r, lc, lr) => {
      const out = simpo([...c, ...c], [...r, ...r], [...lc, ...lc], [...lr, ...lr]);
      return {
        loss: out.loss,
        gradChosen: c.map((_, k) => 2 * out.gradChosen[k]!),
        gradRejected: r.map((_, k) => 2 * out.gradRejected[k]!),
      };
    };
    const problem = randomTabularProblem(createPrng(8));
    const a = minimizePopulationPreferenceLoss(problem, simpo);
    const b = minimizePopulationPreferenceLoss(problem, duplicatedSum);
    expect(a.converged && b.converged).toBe(true);
    a.logPolicy.forEach((row, x) => {
      row.forEach((v, y) => {
        expect(Math.abs(v - b.logPolicy[x]![y]!)).toBeLessThan(1e-8);
      });
    });
  });
});

describe('closed forms for the SimPO minimiser', () => {
  it('the unit-partition shift c(x) normalises exp(|y|(r + c)/β); with equal lengths it is −(β/L)·log Z', () => {
    const rng = createPrng(12);
    for (let k = 0; k < 20; k++) {
      const n = rng.integerBetween(2, 5);
      const rewards = Array.from({ length: n }, () => 2 * rng.normal());
      const lengths = Array.from({ length: n }, () => rng.integerBetween(1, 12));
      const total = unitPartitionPolicy(rewards, lengths, 2).reduce((a, b) => a + b, 0);
      expect(Math.abs(total - 1)).toBeLessThan(1e-13);
      const equal = new Array<number>(n).fill(lengths[0]!);
      const shift = unitPartitionShift(rewards, equal, 2);
      expect(shift).toBeCloseTo(-(2 / lengths[0]!) * maxEntLogPartition(rewards, 2 / lengths[0]!), 12);
    }
  });

  it('two responses: the margin root is log(p/(1−p)) at γ = 0 and the golden-section minimiser for γ > 0', () => {
    for (const p of [0.05, 0.3, 0.5, 0.77, 0.99]) {
      expect(twoResponseMarginOptimum(p, 0)).toBeCloseTo(Math.log(p / (1 - p)), 12);
      for (const gamma of [0.25, 0.5, 2]) {
        const pairLoss = (d: number) => p * softplus(-(d - gamma)) + (1 - p) * softplus(-(-d - gamma));
        // Golden section resolves a minimiser only to ~√ε relative (flat bottom), hence 1e-6.
        expect(Math.abs(twoResponseMarginOptimum(p, gamma) - goldenSection(pairLoss, -30, 30))).toBeLessThan(
          1e-6,
        );
      }
    }
  });

  it('γ > 0 widens the implicit-reward gap beyond the BT log-odds (|d_γ| > |d_0| for p ≠ ½)', () => {
    for (const p of [0.1, 0.4, 0.6, 0.9]) {
      const d0 = twoResponseMarginOptimum(p, 0);
      const d = twoResponseMarginOptimum(p, 0.5);
      expect(Math.sign(d)).toBe(Math.sign(d0));
      expect(Math.abs(d)).toBeGreaterThan(Math.abs(d0) + 1e-3);
    }
    expect(twoResponseMarginOptimum(0.5, 0.5)).toBeCloseTo(0, 14);
  });
});
