/**
 * Errors: every failure reaches JS as an Error naming the op and describing its inputs (shape and
 * dtype), nothing leaks, and the engine keeps working afterwards.
 */
import { describe, expect, it } from 'vitest';
import {
  cat,
  crossEntropy,
  embedding,
  linear,
  liveTensors,
  ones,
  scopeDepth,
  type Tensor,
  tensor,
  tidy,
  zeros,
} from '../../src/tensor/index.ts';

/**
 * Runs fn in a scope, expects it to throw an Error whose message starts with `op:` and matches
 * every pattern, then checks that a normal op still works.
 */
function expectOpError(op: string, fn: () => unknown, ...patterns: RegExp[]): Error {
  let caught: unknown;
  try {
    tidy(() => {
      fn();
    });
  } catch (e) {
    caught = e;
  }
  expect(caught, `${op} should throw`).toBeInstanceOf(Error);
  const err = caught as Error & { op?: string };
  expect(err.message.startsWith(`${op}: `), err.message).toBe(true);
  for (const p of patterns) expect(err.message).toMatch(p);
  // The engine keeps working.
  tidy(() => {
    expect(
      tensor([1, 2])
        .add(tensor([3, 4]))
        .mul(2)
        .toArray(),
    ).toEqual([8, 12]);
  });
  return err;
}

const i64 = (d: number[] | number[][]) => tensor(d, { dtype: 'int64' });
const bad = (v: unknown) => v as never;

describe('shape mismatches', () => {
  it('matmul of incompatible shapes names matmul and both shapes', () => {
    const err = expectOpError(
      'matmul',
      () => ones([2, 3]).matmul(ones([2, 3])),
      /2x3 and 2x3/,
      /\[2,3\] float32, #1=\[2,3\] float32/,
    );
    expect((err as Error & { op?: string }).op).toBe('matmul');
  });
  it('add of non-broadcastable shapes', () => {
    expectOpError(
      'add',
      () => ones([2, 3]).add(ones([2, 4])),
      /size of tensor a \(3\) must match/,
      /#0=\[2,3\] float32, #1=\[2,4\] float32/,
    );
  });
  it('bmm, linear, cat, view', () => {
    expectOpError(
      'bmm',
      () => ones([2, 2, 3]).bmm(ones([3, 3, 2])),
      /#0=\[2,2,3\] float32, #1=\[3,3,2\] float32/,
    );
    expectOpError(
      'linear',
      () => linear(ones([2, 3]), ones([4, 5])),
      /#0=\[2,3\] float32, #1=\[4,5\] float32/,
    );
    expectOpError('cat', () => cat([ones([2, 3]), ones([2, 4])]), /#0=\[\[2,3\] float32, \[2,4\] float32\]/);
    expectOpError('view', () => ones([2, 3]).view(4, 2), /shape '\[4, 2\]' is invalid/, /#0=\[2,3\] float32/);
  });
});

describe('dtype mismatches', () => {
  it('embedding with float indices', () => {
    expectOpError(
      'embedding',
      () => embedding(ones([4, 2]), tensor([0, 1])),
      /indices/,
      /#0=\[4,2\] float32, #1=\[2\] float32/,
    );
  });
  it('gather and indexSelect with a float index', () => {
    expectOpError('gather', () => ones([2, 3]).gather(1, tensor([[0], [1]])), /int64/, /#2=\[2,1\] float32/);
    expectOpError('indexSelect', () => ones([2, 3]).indexSelect(0, tensor([0])), /#2=\[1\] float32/);
  });
  it('matmul of float32 with float64', () => {
    expectOpError(
      'matmul',
      () => ones([2, 2]).matmul(ones([2, 2], { dtype: 'float64' })),
      /#0=\[2,2\] float32, #1=\[2,2\] float64/,
    );
  });
  it('crossEntropy with float targets of the wrong shape', () => {
    expectOpError(
      'crossEntropy',
      () => crossEntropy(ones([3, 4]), tensor([0, 1, 2])),
      /#0=\[3,4\] float32, #1=\[3\] float32/,
    );
  });
});

describe('out-of-range indices', () => {
  it('gather, indexSelect, select, embedding, narrow', () => {
    expectOpError(
      'gather',
      () => ones([2, 3]).gather(1, i64([[0], [5]])),
      /index 5 is out of bounds/,
      /#0=\[2,3\] float32/,
    );
    expectOpError(
      'indexSelect',
      () => ones([2, 3]).indexSelect(0, i64([2])),
      /out of range/,
      /#0=\[2,3\] float32, #1=0, #2=\[1\] int64/,
    );
    expectOpError('select', () => ones([2, 3]).select(0, 2), /index 2 out of range/, /#0=\[2,3\] float32/);
    expectOpError('select', () => ones([2, 3]).select(1, -4), /out of range/);
    expectOpError(
      'embedding',
      () => embedding(ones([4, 2]), i64([0, 4])),
      /out of range/,
      /#0=\[4,2\] float32, #1=\[2\] int64/,
    );
    expectOpError('embedding', () => embedding(ones([4, 2]), i64([-1])), /out of range/);
    expectOpError('narrow', () => ones([2, 3]).narrow(1, 2, 2), /#0=\[2,3\] float32/);
    expectOpError('transpose', () => ones([2, 3]).transpose(0, 2), /Dimension out of range/);
  });
  it('crossEntropy with a class index ≥ C', () => {
    expectOpError(
      'crossEntropy',
      () => crossEntropy(ones([2, 3]), i64([0, 3])),
      /out of bounds/,
      /#0=\[2,3\] float32, #1=\[2\] int64/,
    );
  });
});

describe('use after dispose', () => {
  it('a method on a disposed tensor names the op', () => {
    const t = tensor([1, 2, 3]);
    t.dispose();
    expect(t.isDisposed).toBe(true);
    expectOpError('exp', () => t.exp(), /disposed/, /#0=<disposed>/);
    expectOpError('sum', () => t.sum(), /disposed/);
    expect(() => t.toArray()).toThrow(/disposed/);
    expect(() => t.item()).toThrow(/^item: .*disposed/);
    t.dispose(); // idempotent
    expect(String(t)).toBe('Tensor(<disposed>)');
  });
  it('a disposed tensor as an argument names the op and the other inputs', () => {
    const d = tensor([1, 2]);
    d.dispose();
    expectOpError(
      'add',
      () => ones([2]).add(d),
      /argument 1 was disposed/,
      /#0=\[2\] float32, #1=<disposed>/,
    );
    expectOpError('matmul', () => ones([3, 2]).matmul(d), /disposed/, /#0=\[3,2\] float32/);
    expectOpError('embedding', () => embedding(ones([4, 2]), d), /disposed/);
  });
  it('a disposed tensor inside the list given to cat', () => {
    const d = tensor([1, 2]);
    d.dispose();
    expectOpError(
      'cat',
      () => cat([ones([2]), d]),
      /argument 0\[1\] was disposed/,
      /#0=\[\[2\] float32, <disposed>\]/,
    );
  });
  it('tensors disposed by tidy cannot be used after it', () => {
    let leaked: Tensor | null = null;
    tidy(() => {
      leaked = ones([2]);
    });
    expectOpError('neg', () => leaked!.neg(), /disposed/);
  });
});

describe('wrong argument kinds', () => {
  it('non-tensor, non-number and non-array arguments name the op and the argument', () => {
    expectOpError(
      'matmul',
      () => ones([2, 2]).matmul(bad(5)),
      /argument 1 is not a tensor handle/,
      /#0=\[2,2\] float32/,
    );
    expectOpError('add', () => ones([2]).add(bad('x')), /argument 1 must be a number/);
    expectOpError('sum', () => ones([2]).sum(bad('x')), /argument 1 must be an array of integers/);
    expectOpError('transpose', () => ones([2, 2]).transpose(bad('a'), 1), /argument 1 must be an integer/);
    expectOpError('view', () => ones([2, 2]).view(bad('a')), /argument 1\[0\] must be an integer/);
    expectOpError('cat', () => cat(bad([1, 2])), /argument 0\[0\] is not a tensor handle/);
    expectOpError('gelu', () => ones([2]).gelu(bad('fast')), /approximate/, /#0=\[2\] float32/);
    expectOpError('full', () => zeros([-1]), /negative dimension/);
  });
  it('JS-level validation errors', () =>
    tidy(() => {
      expect(() => tensor([[1, 2], [3]])).toThrow(/ragged/);
      expect(() => ones([2, 3]).dim(2)).toThrow(/dim 2 out of range for shape \[2,3\]/);
      expect(() => ones([2]).item()).toThrow(/^item: .*one element.*\[2\] float32/);
      expect(() => tensor([1]).to(bad('float8'))).toThrow(/unknown dtype/);
    }));
});

describe('errors inside tidy', () => {
  it('a libtorch error inside tidy() still frees the scope’s tensors', () => {
    const before = liveTensors();
    expect(() =>
      tidy(() => {
        const a = ones([10, 10]);
        const b = a.mul(2).exp();
        tidy(() => {
          b.add(1);
          b.matmul(ones([3, 3])); // inner scope throws too
        });
      }),
    ).toThrow(/^matmul: /);
    expect(scopeDepth()).toBe(0);
    expect(liveTensors()).toBe(before);
  });
  it('a JS error inside tidy() frees the scope’s tensors and rethrows it unchanged', () => {
    const before = liveTensors();
    const boom = new Error('boom');
    expect(() =>
      tidy(() => {
        ones([4]);
        throw boom;
      }),
    ).toThrow(boom);
    expect(liveTensors()).toBe(before);
  });
  it('failed backward (no graph) keeps the engine usable', () => {
    expectOpError('backward', () => ones([2]).sum().backward(), /does not require grad/);
  });
});
