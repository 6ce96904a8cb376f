/** Autograd plumbing: grad mode switches, detach, accumulation, explicit gradients, setGrad / zeroGrad. */
import { afterEach, describe, expect, it } from 'vitest';
import { AdamW, enableGrad, isGradEnabled, noGrad, ones, tensor, tidy } from '../../src/tensor/index.ts';

// (test/setup.ts checks every test here for leaked tensors.)
afterEach(() => {
  expect(isGradEnabled()).toBe(true);
});
const t = (fn: () => void) => () => tidy(fn);
const param = (xs: number[]) => tensor(xs, { dtype: 'float64', requiresGrad: true });

describe('grad mode', () => {
  it(
    'noGrad records no graph: results do not require grad',
    t(() => {
      const x = param([1, 2]);
      expect(x.requiresGrad).toBe(true);
      expect(x.mul(2).requiresGrad).toBe(true);
      const y = noGrad(() => {
        expect(isGradEnabled()).toBe(false);
        return x.mul(2).exp().sum();
      });
      expect(y.requiresGrad).toBe(false);
      expect(() => y.backward()).toThrow(/backward/);
      expect(isGradEnabled()).toBe(true);
    }),
  );

  it(
    'noGrad restores the mode after a throw; enableGrad re-enables inside noGrad',
    t(() => {
      expect(() =>
        noGrad(() => {
          throw new Error('boom');
        }),
      ).toThrow('boom');
      expect(isGradEnabled()).toBe(true);
      const x = param([3]);
      const y = noGrad(() => enableGrad(() => x.square()));
      expect(y.requiresGrad).toBe(true);
      y.sum().backward();
      expect(x.grad!.toArray()).toEqual([6]);
    }),
  );

  it(
    'detach: same values, no grad, cuts the graph',
    t(() => {
      const x = param([1.5, -2]);
      const d = x.detach();
      expect(d.requiresGrad).toBe(false);
      expect(d.toArray()).toEqual([1.5, -2]);
      // d/dx (x · stop(x)) = stop(x) = x, not 2x.
      x.mul(d).sum().backward();
      expect(x.grad!.toArray()).toEqual([1.5, -2]);
    }),
  );

  it(
    'tensors without requiresGrad get no gradient',
    t(() => {
      const x = param([1]);
      const c = tensor([2], { dtype: 'float64' });
      x.mul(c).sum().backward();
      expect(c.grad).toBeNull();
      expect(x.grad!.toArray()).toEqual([2]);
    }),
  );
});

describe('gradients', () => {
  it(
    'accumulate over two backward calls',
    t(() => {
      const x = param([1, 2, 3]);
      x.mul(3).sum().backward();
      expect(x.grad!.toArray()).toEqual([3, 3, 3]);
      x.square().sum().backward();
      expect(x.grad!.toArray()).toEqual([5, 7, 9]);
    }),
  );

  it(
    'retainGraph allows a second backward through the same graph; without it the second throws',
    t(() => {
      const x = param([2]);
      const y = x.pow(3).sum();
      y.backward(undefined, { retainGraph: true });
      y.backward();
      expect(x.grad!.toArray()).toEqual([24]);
      const z = x.exp().sum();
      z.backward();
      expect(() => z.backward()).toThrow(/backward/);
    }),
  );

  it(
    'backward with an explicit gradient for a non-scalar output',
    t(() => {
      const x = param([1, 2, 3]);
      x.square().backward(tensor([1, 0.5, -1], { dtype: 'float64' }));
      expect(x.grad!.toArray()).toEqual([2, 2, -6]);
      const w = param([1, 1]);
      expect(() => w.mul(2).backward()).toThrow(/backward/);
    }),
  );

  it(
    'setGrad / grad = null / AdamW.zeroGrad',
    t(() => {
      const x = param([1, 2]);
      expect(x.grad).toBeNull();
      x.grad = tensor([0.5, 0.25], { dtype: 'float64' });
      expect(x.grad!.toArray()).toEqual([0.5, 0.25]);
      x.sum().backward();
      expect(x.grad!.toArray()).toEqual([1.5, 1.25]);
      x.grad = null;
      expect(x.grad).toBeNull();
      const y = param([3]);
      x.sum().add(y.sum()).backward();
      const opt = new AdamW([x, y]);
      opt.zeroGrad();
      expect(x.grad).toBeNull();
      expect(y.grad).toBeNull();
      opt.dispose();
    }),
  );

  it(
    'requiresGrad_ toggles leaf tracking',
    t(() => {
      const x = ones([2], { dtype: 'float64' });
      expect(x.requiresGrad).toBe(false);
      x.requiresGrad_();
      expect(x.requiresGrad).toBe(true);
      x.requiresGrad_(false);
      expect(x.mul(2).requiresGrad).toBe(false);
    }),
  );
});
