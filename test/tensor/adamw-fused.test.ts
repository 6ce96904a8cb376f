/**
 * The addon's fused float32 AdamW kernel (contiguous float32 CPU parameters) against its generic
 * op-by-op path, which optim.test.ts checks against an independent reference: the same update on
 * float64 copies of the parameters, for both lerp formulas (β₁ above and below 0.5), with a length
 * that leaves a tail after the 8-wide vector loop; and autograd's version counter still advances.
 */
import { describe, expect, it } from 'vitest';
import { native } from '../../src/native/binding.ts';
import { AdamW, Generator, keep, randn, type Tensor, tidy } from '../../src/tensor/index.ts';

function run(dtype: 'float32' | 'float64', betas: [number, number]): number[] {
  const gen = new Generator(7);
  const p = tidy(() => keep(randn([1037], gen).to(dtype).requiresGrad_()));
  const opt = new AdamW([p], { lr: 0.01, betas, eps: 1e-6, weightDecay: 0.1 });
  for (let step = 0; step < 4; step++) {
    tidy(() => {
      const g = randn([1037], gen).mul(0.1).to(dtype);
      native.setGrad(p.handle, g.handle);
      opt.step();
    });
  }
  const out = p.toArray();
  opt.zeroGrad();
  opt.dispose();
  p.dispose();
  return out;
}

describe('fused float32 AdamW', () => {
  for (const betas of [
    [0.9, 0.999],
    [0.3, 0.95],
  ] as [number, number][]) {
    it(`matches the generic path within float32 rounding (betas ${betas})`, () => {
      const fused = run('float32', betas);
      const generic = run('float64', betas);
      const worst = Math.max(
        ...fused.map((x, i) => Math.abs(x - generic[i]!) / (1e-3 + Math.abs(generic[i]!))),
      );
      expect(worst).toBeLessThan(1e-5);
    });
  }

  it('still invalidates graphs that saved the parameter (version counter)', () => {
    const p = tidy(() => keep(randn([16]).requiresGrad_()));
    const opt = new AdamW([p], { lr: 0.1 });
    const check = () =>
      tidy(() => {
        const y: Tensor = p.mul(p).sum();
        native.setGrad(p.handle, randn([16]).handle);
        opt.step();
        y.backward();
      });
    expect(check).toThrow(/modified by an inplace operation/);
    opt.zeroGrad();
    opt.dispose();
    p.dispose();
  });
});
