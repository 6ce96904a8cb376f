/** Scopes: tidy keeps what it returns (also nested in arrays, objects, maps), keep(), nesting, async. */
import { describe, expect, it } from 'vitest';
import {
  dispose,
  keep,
  liveTensors,
  ones,
  scopeDepth,
  type Tensor,
  tensor,
  tidy,
} from '../../src/tensor/index.ts';

describe('tidy', () => {
  it('disposes every intermediate and keeps the returned tensor', () => {
    const base = liveTensors();
    let tmp: Tensor | null = null;
    const out = tidy(() => {
      tmp = ones([3]).mul(2);
      return tmp.add(1);
    });
    expect(tmp!.isDisposed).toBe(true);
    expect(out.isDisposed).toBe(false);
    expect(out.toArray()).toEqual([3, 3, 3]);
    expect(liveTensors()).toBe(base + 1);
    out.dispose();
  });

  it('keeps tensors nested in arrays, plain objects and maps; disposes the rest', () => {
    const base = liveTensors();
    const made: Tensor[] = [];
    const mk = (v: number) => {
      const t = tensor([v]);
      made.push(t);
      return t;
    };
    const result = tidy(() => {
      mk(0); // dropped
      return {
        a: mk(1),
        list: [mk(2), [mk(3)]],
        deep: { inner: { t: mk(4) } },
        map: new Map([['k', mk(5)]]),
        n: 42,
        s: 'text',
      };
    });
    expect(made[0]!.isDisposed).toBe(true);
    expect(made.slice(1).every((t) => !t.isDisposed)).toBe(true);
    expect(result.a.toArray()).toEqual([1]);
    expect(result.map.get('k')!.toArray()).toEqual([5]);
    expect(result.n).toBe(42);
    expect(liveTensors()).toBe(base + 5);
    dispose(result);
    expect(made.every((t) => t.isDisposed)).toBe(true);
  });

  it('nested tidy: the inner result moves to the outer scope and is freed with it', () => {
    let inner: Tensor | null = null;
    let innerTmp: Tensor | null = null;
    const out = tidy(() => {
      expect(scopeDepth()).toBe(1);
      inner = tidy(() => {
        expect(scopeDepth()).toBe(2);
        innerTmp = ones([2]);
        return innerTmp.mul(3);
      });
      expect(innerTmp!.isDisposed).toBe(true);
      expect(inner.isDisposed).toBe(false);
      return inner.sum();
    });
    // The inner result was an intermediate of the outer scope.
    expect(inner!.isDisposed).toBe(true);
    expect(out.item()).toBe(6);
    out.dispose();
  });

  it('keep() lets a tensor outlive every open scope', () => {
    const base = liveTensors();
    let kept: Tensor | null = null;
    tidy(() => {
      tidy(() => {
        kept = keep(ones([2]).add(1));
        ones([5]);
      });
      expect(kept!.isDisposed).toBe(false);
    });
    expect(kept!.isDisposed).toBe(false);
    expect(kept!.toArray()).toEqual([2, 2]);
    expect(liveTensors()).toBe(base + 1);
    kept!.dispose();
  });

  it('returning a tensor from an enclosing scope does not dispose it', () => {
    const outer = ones([2]);
    const same = tidy(() => {
      outer.mul(2);
      return outer;
    });
    expect(same).toBe(outer);
    expect(outer.isDisposed).toBe(false);
    outer.dispose();
  });

  it('Tensor.grad wrappers made inside tidy are freed, the gradient itself stays', () => {
    const p = tensor([1, 2], { requiresGrad: true });
    tidy(() => {
      p.mul(p).sum().backward();
    });
    const before = liveTensors();
    tidy(() => {
      expect(p.grad!.toArray()).toEqual([2, 4]);
    });
    expect(liveTensors()).toBe(before);
    tidy(() => {
      expect(p.grad!.toArray()).toEqual([2, 4]);
    });
    p.dispose();
  });

  it('an async function throws and frees what it created synchronously', async () => {
    let made: Tensor | null = null;
    const fn = async () => {
      made = ones([3]);
      await Promise.resolve();
      return 1;
    };
    expect(() => tidy(fn as unknown as () => number)).toThrow(/async/);
    expect(made!.isDisposed).toBe(true);
    expect(scopeDepth()).toBe(0);
    // Functions returning a Promise are rejected as well.
    expect(() => tidy(() => Promise.resolve(ones([1])))).toThrow(/async/);
    await Promise.resolve();
  });

  it('dispose() frees nested structures and is idempotent', () => {
    const base = liveTensors();
    const a = ones([1]);
    const b = ones([1]);
    dispose({ x: [a, { y: b }] });
    expect(a.isDisposed && b.isDisposed).toBe(true);
    dispose([a, b]);
    expect(liveTensors()).toBe(base);
  });
});
