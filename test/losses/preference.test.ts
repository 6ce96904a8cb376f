/**
 * Preference losses against float64 formulas written out independently below (plain JS math),
 * on fixed inputs, plus gradient signs and the γ / length-normalisation effects.
 */
import { describe, expect, it } from 'vitest';
import {
  cdpoLoss,
  cpoLoss,
  dpoLoss,
  hingeLoss,
  ipoLoss,
  orpoLoss,
  type PreferenceLogps,
  robustDpoLoss,
  simpoLoss,
} from '../../src/losses/index.ts';
import { type Tensor, tensor } from '../../src/tensor/index.ts';

const logSig = (x: number) => -Math.log1p(Math.exp(-x));
const f64 = (xs: number[]) => tensor(xs, { dtype: 'float64', requiresGrad: true });

// Two pairs with hand-picked sequence log-probs and lengths.
const P = { pc: [-4.0, -9.0], pr: [-6.0, -7.5], rc: [-5.0, -8.0], rr: [-5.5, -8.5], lc: [4, 6], lr: [3, 10] };

function batch(): PreferenceLogps & { pc: Tensor; pr: Tensor } {
  const pc = f64(P.pc);
  const pr = f64(P.pr);
  return {
    policyChosen: pc,
    policyRejected: pr,
    refChosen: f64(P.rc),
    refRejected: f64(P.rr),
    chosenLengths: f64(P.lc),
    rejectedLengths: f64(P.lr),
    pc,
    pr,
  };
}
const mean = (f: (i: number) => number) => (f(0) + f(1)) / 2;
const h = (i: number) => P.pc[i]! - P.rc[i]! - (P.pr[i]! - P.rr[i]!);

describe('reference-based losses', () => {
  it('DPO equals −log σ(β·h) averaged, with rewards β(log π − log π_ref)', () => {
    const b = batch();
    const out = dpoLoss(b, { beta: 0.1 });
    expect(out.loss.item()).toBeCloseTo(
      mean((i) => -logSig(0.1 * h(i))),
      12,
    );
    expect(out.chosenRewards.toArray()[0]).toBeCloseTo(0.1 * (P.pc[0]! - P.rc[0]!), 12);
    out.loss.backward();
    // Lowering the loss raises the chosen log-prob and lowers the rejected one.
    expect(b.pc.grad!.toArray().every((g) => g < 0)).toBe(true);
    expect(b.pr.grad!.toArray().every((g) => g > 0)).toBe(true);
  });

  it('cDPO and robust DPO match their label-smoothed formulas', () => {
    const eps = 0.2;
    const beta = 0.5;
    const cd = mean((i) => -(1 - eps) * logSig(beta * h(i)) - eps * logSig(-beta * h(i)));
    const rb = mean((i) => (-(1 - eps) * logSig(beta * h(i)) + eps * logSig(-beta * h(i))) / (1 - 2 * eps));
    expect(cdpoLoss(batch(), { beta, labelSmoothing: eps }).loss.item()).toBeCloseTo(cd, 12);
    expect(robustDpoLoss(batch(), { beta, labelSmoothing: eps }).loss.item()).toBeCloseTo(rb, 12);
    expect(() => robustDpoLoss(batch(), { beta, labelSmoothing: 0.5 })).toThrow(/labelSmoothing < 0.5/);
  });

  it('IPO is the squared distance of the length-averaged margin to 1/(2τ)', () => {
    const tau = 0.25;
    const avg = (i: number) => (P.pc[i]! - P.rc[i]!) / P.lc[i]! - (P.pr[i]! - P.rr[i]!) / P.lr[i]!;
    expect(ipoLoss(batch(), { beta: tau }).loss.item()).toBeCloseTo(
      mean((i) => (avg(i) - 1 / (2 * tau)) ** 2),
      12,
    );
    expect(ipoLoss(batch(), { beta: tau, lengthNormalize: false }).loss.item()).toBeCloseTo(
      mean((i) => (h(i) - 1 / (2 * tau)) ** 2),
      12,
    );
  });

  it('hinge is max(0, 1 − β·h)', () => {
    expect(hingeLoss(batch(), { beta: 2 }).loss.item()).toBeCloseTo(
      mean((i) => Math.max(0, 1 - 2 * h(i))),
      12,
    );
  });

  it('reference-based losses refuse to run without reference log-probs', () => {
    const b = batch();
    b.refChosen = undefined;
    expect(() => dpoLoss(b, { beta: 0.1 })).toThrow(/reference log-probs/);
  });
});

describe('reference-free losses', () => {
  const simpoRef = (beta: number, gamma: number) =>
    mean((i) => -logSig((beta * P.pc[i]!) / P.lc[i]! - (beta * P.pr[i]!) / P.lr[i]! - gamma));

  it('SimPO equals −log σ(β/|y_w| log π_w − β/|y_l| log π_l − γ) and ignores reference log-probs', () => {
    const b = batch();
    const out = simpoLoss(b, { beta: 2, gamma: 0.5 });
    expect(out.loss.item()).toBeCloseTo(simpoRef(2, 0.5), 12);
    expect(out.chosenRewards.toArray()[1]).toBeCloseTo((2 * P.pc[1]!) / P.lc[1]!, 12);
    b.refChosen = undefined;
    b.refRejected = undefined;
    expect(simpoLoss(b, { beta: 2, gamma: 0.5 }).loss.item()).toBeCloseTo(simpoRef(2, 0.5), 12);
  });

  it('SimPO without length normalisation is −log σ(β·log π_w − β·log π_l − γ) (the ablation)', () => {
    const ref = mean((i) => -logSig(2 * P.pc[i]! - 2 * P.pr[i]! - 0.5));
    const out = simpoLoss(batch(), { beta: 2, gamma: 0.5, lengthNormalize: false });
    expect(out.loss.item()).toBeCloseTo(ref, 12);
    expect(out.chosenRewards.toArray()[1]).toBeCloseTo(2 * P.pc[1]!, 12);
  });

  it('a larger margin γ raises the SimPO loss (the target margin demands a wider gap)', () => {
    expect(simpoRef(2, 1)).toBeGreaterThan(simpoRef(2, 0));
    expect(simpoLoss(batch(), { beta: 2, gamma: 1 }).loss.item()).toBeGreaterThan(
      simpoLoss(batch(), { beta: 2, gamma: 0 }).loss.item(),
    );
  });

  it('SimPO length normalisation: the gradient on a sequence log-prob scales with 1/|y|', () => {
    const b = batch();
    simpoLoss(b, { beta: 2, gamma: 0 }).loss.backward();
    // d/d(log π_w) of −log σ(z)/2 is −(1−σ(z))·β/|y_w|/2 (mean over 2 pairs).
    const z = (i: number) => (2 * P.pc[i]!) / P.lc[i]! - (2 * P.pr[i]!) / P.lr[i]!;
    const sig = (x: number) => 1 / (1 + Math.exp(-x));
    const expected = [0, 1].map((i) => (-(1 - sig(z(i))) * 2) / P.lc[i]! / 2);
    const got = b.pc.grad!.toArray();
    expect(got[0]).toBeCloseTo(expected[0]!, 12);
    expect(got[1]).toBeCloseTo(expected[1]!, 12);
  });

  it('CPO adds the chosen NLL (per token) to the unnormalised preference term', () => {
    const lam = 0.7;
    const ref = mean((i) => -logSig(0.3 * P.pc[i]! - 0.3 * P.pr[i]!) + (lam * -P.pc[i]!) / P.lc[i]!);
    expect(cpoLoss(batch(), { beta: 0.3, nllWeight: lam }).loss.item()).toBeCloseTo(ref, 12);
  });

  it('ORPO is NLL + λ·(−log σ(log odds_w − log odds_l)) with odds from the average log-prob', () => {
    const lam = 0.1;
    const logOdds = (a: number) => a - Math.log(1 - Math.exp(a));
    const ref = mean((i) => {
      const aw = P.pc[i]! / P.lc[i]!;
      const al = P.pr[i]! / P.lr[i]!;
      return -aw + lam * -logSig(logOdds(aw) - logOdds(al));
    });
    expect(orpoLoss(batch(), { lambda: lam }).loss.item()).toBeCloseTo(ref, 12);
  });
});
