/**
 * Forward values of every op family against hand-computed results (plain JS float64, written out
 * below), plus dtypes, type promotion and the element conversions.
 */
import { describe, expect, it } from 'vitest';
import {
  arange,
  attention,
  cat,
  crossEntropy,
  dropout,
  embedding,
  engineInfo,
  full,
  getNumThreads,
  isFloating,
  layerNorm,
  linear,
  maximum,
  minimum,
  ones,
  onesLike,
  stack,
  type Tensor,
  tensor,
  tidy,
  where,
  zeros,
  zerosLike,
} from '../../src/tensor/index.ts';
import { erf, expectClose, geluExact, geluTanh, logSumExp, sigmoid, softmax } from './reference.ts';

// Every test runs in a scope and must leave no tensor behind.

const f64 = (d: number[] | number[][] | number[][][] | number[][][][]) => tensor(d, { dtype: 'float64' });
const i64 = (d: number[] | number[][]) => tensor(d, { dtype: 'int64' });
const t = (fn: () => void) => () => tidy(fn);

describe('elementwise', () => {
  it(
    'arithmetic with broadcasting',
    t(() => {
      const a = tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]);
      const b = tensor([10, 20, 30]);
      expect(a.add(b).toArray()).toEqual([11, 22, 33, 14, 25, 36]);
      expect(a.sub(b).toArray()).toEqual([-9, -18, -27, -6, -15, -24]);
      expect(a.mul(tensor([[2], [-1]])).toArray()).toEqual([2, 4, 6, -4, -5, -6]);
      expect(a.div(tensor([2, 4, 8])).toArray()).toEqual([0.5, 0.5, 0.375, 2, 1.25, 0.75]);
      expect(a.add(b).shape).toEqual([2, 3]);
      expect(tensor([[1], [2]]).add(tensor([10, 20, 30])).shape).toEqual([2, 3]);
      expect(a.rsub(1).toArray()).toEqual([0, -1, -2, -3, -4, -5]);
      expect(a.pow(2).toArray()).toEqual([1, 4, 9, 16, 25, 36]);
      expect(
        tensor([4, 9])
          .pow(tensor([0.5, 2]))
          .toArray(),
      ).toEqual([2, 81]);
      expect(tensor([7, -7, 5.5]).remainder(3).toArray()).toEqual([1, 2, 2.5]);
      expect(minimum(tensor([1, 5, -2]), tensor([3, 2, -1])).toArray()).toEqual([1, 2, -2]);
      expect(maximum(tensor([1, 5, -2]), 0).toArray()).toEqual([1, 5, 0]);
    }),
  );

  it(
    'unary functions match Math',
    t(() => {
      const xs = [-2.5, -1, -0.3, 0, 0.4, 1, 2.2];
      const x = f64(xs);
      const cases: [string, (x: Tensor) => Tensor, (v: number) => number][] = [
        ['neg', (x) => x.neg(), (v) => -v],
        ['exp', (x) => x.exp(), Math.exp],
        ['expm1', (x) => x.expm1(), Math.expm1],
        ['tanh', (x) => x.tanh(), Math.tanh],
        ['sigmoid', (x) => x.sigmoid(), sigmoid],
        ['logSigmoid', (x) => x.logSigmoid(), (v) => Math.log(sigmoid(v))],
        ['relu', (x) => x.relu(), (v) => Math.max(0, v)],
        ['abs', (x) => x.abs(), Math.abs],
        ['sign', (x) => x.sign(), Math.sign],
        ['square', (x) => x.square(), (v) => v * v],
        ['sin', (x) => x.sin(), Math.sin],
        ['cos', (x) => x.cos(), Math.cos],
        ['floor', (x) => x.floor(), Math.floor],
        ['erf', (x) => x.erf(), erf],
        ['softplus', (x) => x.softplus(), (v) => Math.log1p(Math.exp(v))],
        ['softplus beta=2', (x) => x.softplus(2), (v) => Math.log1p(Math.exp(2 * v)) / 2],
        [
          'softplus threshold=1 (linear above)',
          (x) => x.softplus(1, 1),
          (v) => (v > 1 ? v : Math.log1p(Math.exp(v))),
        ],
        ['gelu', (x) => x.gelu(), geluExact],
        ['gelu tanh', (x) => x.gelu('tanh'), geluTanh],
        ['clamp', (x) => x.clamp(-1, 0.5), (v) => Math.min(0.5, Math.max(-1, v))],
        ['clamp min', (x) => x.clamp(0), (v) => Math.max(0, v)],
        ['clamp max', (x) => x.clamp(null, 0), (v) => Math.min(0, v)],
      ];
      for (const [name, op, ref] of cases) {
        const got = op(x).toArray();
        const want = xs.map(ref);
        for (let i = 0; i < xs.length; i++) {
          expect(
            Math.abs(got[i]! - want[i]!),
            `${name}(${xs[i]}) = ${got[i]}, expected ${want[i]}`,
          ).toBeLessThan(1e-12);
        }
      }
      const pos = [0.25, 1, 4];
      const p = f64(pos);
      expectClose(p.log().toArray(), pos.map(Math.log), 1e-15);
      expectClose(p.log1p().toArray(), pos.map(Math.log1p), 1e-15);
      expectClose(p.sqrt().toArray(), [0.5, 1, 2], 1e-15);
      expectClose(p.rsqrt().toArray(), [2, 1, 0.5], 1e-15);
      expectClose(p.reciprocal().toArray(), [4, 1, 0.25], 1e-15);
    }),
  );

  it(
    'gelu at known points: x·Φ(x) with Φ(1) = 0.8413447460685429',
    t(() => {
      const g = f64([-1, 0, 1, 2]).gelu().toArray();
      expectClose(g, [-0.15865525393145707, 0, 0.8413447460685429, 1.9544997361036416], 1e-14);
      // float32 agrees with the float64 reference to float32 precision.
      expectClose(tensor([-1, 0, 1, 2]).gelu().toArray(), [-1, 0, 1, 2].map(geluExact), 1e-6);
    }),
  );

  it(
    'comparisons, logic and predicates produce bool tensors',
    t(() => {
      const a = tensor([1, 2, 3]);
      const b = tensor([3, 2, 1]);
      expect(a.eq(b).dtype).toBe('bool');
      expect(a.eq(b).toArray()).toEqual([0, 1, 0]);
      expect(a.ne(b).toArray()).toEqual([1, 0, 1]);
      expect(a.lt(b).toArray()).toEqual([1, 0, 0]);
      expect(a.le(2).toArray()).toEqual([1, 1, 0]);
      expect(a.gt(1).toArray()).toEqual([0, 1, 1]);
      expect(a.ge(b).toArray()).toEqual([0, 1, 1]);
      const p = tensor([true, true, false, false]);
      const q = tensor([true, false, true, false]);
      expect(p.logicalAnd(q).toArray()).toEqual([1, 0, 0, 0]);
      expect(p.logicalOr(q).toArray()).toEqual([1, 1, 1, 0]);
      expect(p.logicalNot().toArray()).toEqual([0, 0, 1, 1]);
      const odd = tensor([1, Number.NaN, Number.POSITIVE_INFINITY, -2]);
      expect(odd.isnan().toArray()).toEqual([0, 1, 0, 0]);
      expect(odd.isfinite().toArray()).toEqual([1, 0, 0, 1]);
      expect(tensor([true, true]).all().item()).toBe(1);
      expect(p.all().item()).toBe(0);
      expect(p.any().item()).toBe(1);
      expect(tensor([false, false]).any().item()).toBe(0);
    }),
  );

  it(
    'where and maskedFill',
    t(() => {
      const cond = tensor([
        [true, false],
        [false, true],
      ]);
      const a = tensor([
        [1, 2],
        [3, 4],
      ]);
      expect(where(cond, a, tensor([10, 20])).toArray()).toEqual([1, 20, 10, 4]);
      expect(where(cond, a, -1).toArray()).toEqual([1, -1, -1, 4]);
      expect(where(cond, 0, a).toArray()).toEqual([0, 2, 3, 0]);
      expect(a.maskedFill(cond, 9).toArray()).toEqual([9, 2, 3, 9]);
      expect(a.maskedFill(tensor([false, true]), 0).toArray()).toEqual([1, 0, 3, 0]);
    }),
  );
});

describe('reductions', () => {
  const m = () =>
    f64([
      [1, 5, 3],
      [4, 2, 6],
    ]);
  it(
    'sum and mean over all, dims, keepdim',
    t(() => {
      expect(m().sum().item()).toBe(21);
      expect(m().sum().shape).toEqual([]);
      expect(m().sum(0).toArray()).toEqual([5, 7, 9]);
      expect(m().sum(1, true).shape).toEqual([2, 1]);
      expect(m().sum(-1, true).toArray()).toEqual([9, 12]);
      expect(m().sum([0, 1]).item()).toBe(21);
      expect(m().mean().item()).toBe(3.5);
      expect(m().mean(1).toArray()).toEqual([3, 4]);
      expect(m().mean(0, true).shape).toEqual([1, 3]);
      expect(m().mean(0, true).toArray()).toEqual([2.5, 3.5, 4.5]);
    }),
  );
  it(
    'max, min, argmax, maxWithIndices, minWithIndices',
    t(() => {
      expect(m().max().item()).toBe(6);
      expect(m().min().item()).toBe(1);
      expect(m().max(1).toArray()).toEqual([5, 6]);
      expect(m().min(0).toArray()).toEqual([1, 2, 3]);
      expect(m().max(0, true).shape).toEqual([1, 3]);
      expect(m().argmax(1).toArray()).toEqual([1, 2]);
      expect(m().argmax(1).dtype).toBe('int64');
      expect(m().argmax(0, true).toArray()).toEqual([1, 0, 1]);
      const [v, i] = m().maxWithIndices(1);
      expect(v.toArray()).toEqual([5, 6]);
      expect(i.toArray()).toEqual([1, 2]);
      const [v2, i2] = m().minWithIndices(0, true);
      expect(v2.shape).toEqual([1, 3]);
      expect(v2.toArray()).toEqual([1, 2, 3]);
      expect(i2.toArray()).toEqual([0, 1, 0]);
    }),
  );
  it(
    'logsumexp, cumsum, var, norm',
    t(() => {
      expectClose(m().logsumexp(1).toArray(), [logSumExp([1, 5, 3]), logSumExp([4, 2, 6])], 1e-14);
      expectClose(m().logsumexp([0, 1]).toArray(), [logSumExp([1, 5, 3, 4, 2, 6])], 1e-14);
      expect(m().logsumexp(0, true).shape).toEqual([1, 3]);
      // Large values must not overflow.
      expectClose(f64([1000, 1000]).logsumexp(0).toArray(), [1000 + Math.log(2)], 1e-12);
      expect(m().cumsum(1).toArray()).toEqual([1, 6, 9, 4, 6, 12]);
      expect(m().cumsum(0).toArray()).toEqual([1, 5, 3, 5, 7, 9]);
      // var of [1,5,3,4,2,6]: mean 3.5, Σ(x−m)² = 17.5 → unbiased 3.5, biased 17.5/6.
      expectClose([m().var().item()], [3.5], 1e-14);
      expectClose([m().var(undefined, { unbiased: false }).item()], [17.5 / 6], 1e-14);
      expectClose(m().var(1).toArray(), [4, 4], 1e-14);
      expect(m().var(1, { keepdim: true }).shape).toEqual([2, 1]);
      expectClose([m().norm().item()], [Math.sqrt(1 + 25 + 9 + 16 + 4 + 36)], 1e-14);
      expectClose(m().norm(1, 1).toArray(), [9, 12], 1e-14);
      expectClose(m().norm(2, 0, true).toArray(), [Math.sqrt(17), Math.sqrt(29), Math.sqrt(45)], 1e-14);
      expectClose([f64([3, -4]).norm(3).item()], [(27 + 64) ** (1 / 3)], 1e-14);
    }),
  );
  it(
    'topk and sort (values and indices)',
    t(() => {
      const x = tensor([
        [3, 1, 4, 1.5, 9],
        [2, 7, 1, 8, 2.5],
      ]);
      const [v, i] = x.topk(2);
      expect(v.toArray()).toEqual([9, 4, 8, 7]);
      expect(i.toArray()).toEqual([4, 2, 3, 1]);
      expect(i.dtype).toBe('int64');
      const [vs, is] = x.topk(2, 1, { largest: false });
      expect(vs.toArray()).toEqual([1, 1.5, 1, 2]);
      expect(is.toArray()).toEqual([1, 3, 2, 0]);
      const [v0] = x.topk(1, 0);
      expect(v0.toArray()).toEqual([3, 7, 4, 8, 9]);
      const [sv, si] = x.sort();
      expect(sv.toArray()).toEqual([1, 1.5, 3, 4, 9, 1, 2, 2.5, 7, 8]);
      expect(si.toArray()).toEqual([1, 3, 0, 2, 4, 2, 0, 4, 1, 3]);
      const [dv, di] = x.sort(0, true);
      expect(dv.toArray()).toEqual([3, 7, 4, 8, 9, 2, 1, 1, 1.5, 2.5]);
      expect(di.toArray()).toEqual([0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
    }),
  );
});

describe('neural-network primitives', () => {
  it(
    'softmax of [1, 2, 3] and logSoftmax',
    t(() => {
      const e = [Math.E, Math.E ** 2, Math.E ** 3];
      const z = e[0]! + e[1]! + e[2]!;
      expectClose(f64([1, 2, 3]).softmax(0).toArray(), [e[0]! / z, e[1]! / z, e[2]! / z], 1e-15);
      expectClose(
        f64([1, 2, 3]).softmax(0).toArray(),
        [0.09003057317038046, 0.24472847105479764, 0.6652409557748219],
        1e-15,
      );
      expectClose(
        f64([1, 2, 3]).logSoftmax(0).toArray(),
        [1 - Math.log(z), 2 - Math.log(z), 3 - Math.log(z)],
        1e-14,
      );
      const rows = f64([
        [1, 2, 3],
        [0, 0, 0],
      ]);
      expectClose(rows.softmax(1).toArray(), [...softmax([1, 2, 3]), 1 / 3, 1 / 3, 1 / 3], 1e-15);
      expectClose(
        rows.softmax(0).toArray(),
        [sigmoid(1), sigmoid(2), sigmoid(3), sigmoid(-1), sigmoid(-2), sigmoid(-3)],
        1e-15,
      );
      // Stable for large logits.
      expectClose(f64([1000, 1001]).softmax(0).toArray(), softmax([0, 1]), 1e-15);
    }),
  );
  it(
    'layerNorm of a row, with and without weight and bias',
    t(() => {
      // Row [1,2,3,4]: mean 2.5, biased variance 1.25.
      const sd = Math.sqrt(1.25 + 1e-5);
      const z = [-1.5 / sd, -0.5 / sd, 0.5 / sd, 1.5 / sd];
      expectClose(layerNorm(f64([[1, 2, 3, 4]]), [4]).toArray(), z, 1e-14);
      const w = f64([1, 2, 0.5, -1]);
      const b = f64([0, 1, -1, 0.25]);
      const want = z.map((v, i) => v * [1, 2, 0.5, -1][i]! + [0, 1, -1, 0.25][i]!);
      expectClose(layerNorm(f64([[1, 2, 3, 4]]), [4], w, b).toArray(), want, 1e-14);
      // eps is honoured.
      const sd2 = Math.sqrt(1.25 + 0.75);
      expectClose(
        layerNorm(f64([1, 2, 3, 4]), [4], null, null, 0.75).toArray(),
        [-1.5 / sd2, -0.5 / sd2, 0.5 / sd2, 1.5 / sd2],
        1e-14,
      );
    }),
  );
  it(
    'matmul, bmm, linear',
    t(() => {
      const a = tensor([
        [1, 2],
        [3, 4],
      ]);
      const b = tensor([
        [5, 6],
        [7, 8],
      ]);
      expect(a.matmul(b).toArray()).toEqual([19, 22, 43, 50]);
      expect(tensor([1, 2]).matmul(b).toArray()).toEqual([19, 22]);
      expect(a.matmul(tensor([1, 1])).toArray()).toEqual([3, 7]);
      expect(
        stack([a, b])
          .bmm(stack([b, a]))
          .toArray(),
      ).toEqual([19, 22, 43, 50, 23, 34, 31, 46]);
      expect(stack([a, b]).matmul(b).shape).toEqual([2, 2, 2]);
      // linear: x·Wᵀ + b
      expect(linear(a, b, tensor([1, -1])).toArray()).toEqual([
        1 * 5 + 2 * 6 + 1,
        1 * 7 + 2 * 8 - 1,
        3 * 5 + 4 * 6 + 1,
        3 * 7 + 4 * 8 - 1,
      ]);
      expect(linear(a, b).toArray()).toEqual([17, 23, 39, 53]);
    }),
  );
  it(
    'embedding, gather, indexSelect, scatter, scatterAdd',
    t(() => {
      const w = tensor([
        [0, 1],
        [10, 11],
        [20, 21],
      ]);
      const e = embedding(
        w,
        i64([
          [2, 0],
          [1, 1],
        ]),
      );
      expect(e.shape).toEqual([2, 2, 2]);
      expect(e.toArray()).toEqual([20, 21, 0, 1, 10, 11, 10, 11]);
      const x = tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]);
      expect(
        x
          .gather(
            1,
            i64([
              [2, 0],
              [1, 1],
            ]),
          )
          .toArray(),
      ).toEqual([3, 1, 5, 5]);
      expect(x.gather(0, i64([[1, 0, 1]])).toArray()).toEqual([4, 2, 6]);
      expect(x.indexSelect(1, i64([2, 0, 2])).toArray()).toEqual([3, 1, 3, 6, 4, 6]);
      expect(x.indexSelect(0, i64([1])).toArray()).toEqual([4, 5, 6]);
      const z = zeros([2, 3]);
      expect(
        z
          .scatter(
            1,
            i64([
              [2, 0],
              [1, 2],
            ]),
            tensor([
              [7, 8],
              [9, 10],
            ]),
          )
          .toArray(),
      ).toEqual([8, 0, 7, 0, 9, 10]);
      expect(
        x
          .scatterAdd(
            1,
            i64([
              [0, 0, 2],
              [1, 1, 1],
            ]),
            ones([2, 3]),
          )
          .toArray(),
      ).toEqual([3, 2, 4, 4, 8, 6]);
      // Out-of-place: the inputs are unchanged.
      expect(z.toArray()).toEqual([0, 0, 0, 0, 0, 0]);
      expect(x.toArray()).toEqual([1, 2, 3, 4, 5, 6]);
    }),
  );
  it(
    'attention against a hand-written softmax(q·kᵀ/√d)·v, with mask, causal and a fully masked row',
    t(() => {
      // One head, d = 2, Tq = 2, Tk = 3.
      const Q = [
        [1, 0],
        [0.5, -1],
      ];
      const K = [
        [1, 1],
        [0, 2],
        [-1, 0.5],
      ];
      const V = [
        [1, 2],
        [3, -1],
        [0, 4],
      ];
      const ref = (allowed: boolean[][]) =>
        Q.flatMap((q, i) => {
          const s = K.map((k) => (q[0]! * k[0]! + q[1]! * k[1]!) / Math.SQRT2);
          const vis = s.map((_, j) => allowed[i]![j]!);
          if (!vis.some(Boolean)) return [0, 0];
          const p = softmax(s.map((v, j) => (vis[j] ? v : Number.NEGATIVE_INFINITY)));
          return [0, 1].map((c) => p.reduce((acc, pj, j) => acc + pj * V[j]![c]!, 0));
        });
      const q = f64([[Q]]);
      const k = f64([[K]]);
      const v = f64([[V]]);
      const all = [
        [true, true, true],
        [true, true, true],
      ];
      expectClose(attention(q, k, v).toArray(), ref(all), 1e-14);
      // causal with Tq < Tk aligns to the end: query i sees keys ≤ i + (Tk − Tq).
      const causal = [
        [true, true, false],
        [true, true, true],
      ];
      expectClose(attention(q, k, v, { causal: true }).toArray(), ref(causal), 1e-14);
      const mask = [
        [true, false, true],
        [false, false, false],
      ];
      const out = attention(q, k, v, { mask: tensor([[mask]]) });
      expectClose(out.toArray(), ref(mask), 1e-14);
      expect(out.toArray().slice(2)).toEqual([0, 0]);
      // Both at once: row 0 sees only key 0.
      expectClose(
        attention(q, k, v, { causal: true, mask: tensor([[[[true, false, true]]]]) }).toArray(),
        ref([
          [true, false, false],
          [true, false, true],
        ]),
        1e-14,
      );
      // float32 inputs give float32 results close to the float64 reference.
      const o32 = attention(q.float(), k.float(), v.float(), { causal: true });
      expect(o32.dtype).toBe('float32');
      expectClose(o32.toArray(), ref(causal), 1e-6);
    }),
  );
  it(
    'crossEntropy: mean, sum, none and ignoreIndex',
    t(() => {
      const L = [
        [1, 2, 3],
        [1, 0, -1],
        [0.5, 0.5, 2],
      ];
      const y = [2, 0, 1];
      const nll = L.map((row, i) => logSumExp(row) - row[y[i]!]!);
      const logits = f64(L);
      expectClose(crossEntropy(logits, i64(y), { reduction: 'none' }).toArray(), nll, 1e-14);
      expectClose(
        [crossEntropy(logits, i64(y), { reduction: 'sum' }).item()],
        [nll[0]! + nll[1]! + nll[2]!],
        1e-14,
      );
      expectClose([crossEntropy(logits, i64(y)).item()], [(nll[0]! + nll[1]! + nll[2]!) / 3], 1e-14);
      // Ignored targets drop out of the sum and of the mean's denominator.
      expectClose([crossEntropy(logits, i64([2, -100, 1])).item()], [(nll[0]! + nll[2]!) / 2], 1e-14);
      expectClose(
        [crossEntropy(logits, i64([2, 7, 1]), { ignoreIndex: 7 }).item()],
        [(nll[0]! + nll[2]!) / 2],
        1e-14,
      );
      expectClose(
        crossEntropy(logits, i64([2, 7, 1]), { ignoreIndex: 7, reduction: 'none' }).toArray(),
        [nll[0]!, 0, nll[2]!],
        1e-14,
      );
    }),
  );
});

describe('shape ops', () => {
  const x = () =>
    tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  it(
    'cat, stack, split, chunk',
    t(() => {
      expect(cat([x(), tensor([[7, 8, 9]])]).toArray()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(cat([x(), tensor([[0], [0]])], 1).toArray()).toEqual([1, 2, 3, 0, 4, 5, 6, 0]);
      expect(stack([tensor([1, 2]), tensor([3, 4])]).shape).toEqual([2, 2]);
      expect(stack([tensor([1, 2]), tensor([3, 4])], 1).toArray()).toEqual([1, 3, 2, 4]);
      const parts = x().split(2, 1);
      expect(parts.map((p) => p.shape)).toEqual([
        [2, 2],
        [2, 1],
      ]);
      expect(parts[1]!.toArray()).toEqual([3, 6]);
      expect(
        x()
          .split([1, 2], 1)
          .map((p) => p.toArray()),
      ).toEqual([
        [1, 4],
        [2, 3, 5, 6],
      ]);
      expect(
        arange(5)
          .chunk(2)
          .map((c) => c.toArray()),
      ).toEqual([
        [0, 1, 2],
        [3, 4],
      ]);
    }),
  );
  it(
    'narrow, slice, select',
    t(() => {
      expect(x().narrow(1, 1, 2).toArray()).toEqual([2, 3, 5, 6]);
      expect(arange(10).slice(0, 2, 9, 3).toArray()).toEqual([2, 5, 8]);
      expect(arange(10).slice(0, -3).toArray()).toEqual([7, 8, 9]);
      expect(arange(10).slice(0, 1, -7).toArray()).toEqual([1, 2]);
      expect(x().select(0, 1).toArray()).toEqual([4, 5, 6]);
      expect(x().select(1, -1).toArray()).toEqual([3, 6]);
      expect(x().select(1, 0).shape).toEqual([2]);
    }),
  );
  it(
    'view, reshape, permute, transpose, expand, unsqueeze, squeeze, flatten',
    t(() => {
      expect(x().view(3, 2).toArray()).toEqual([1, 2, 3, 4, 5, 6]);
      expect(x().view(3, 2).shape).toEqual([3, 2]);
      expect(x().view(-1).shape).toEqual([6]);
      expect(x().transpose(0, 1).toArray()).toEqual([1, 4, 2, 5, 3, 6]);
      expect(x().transpose(0, 1).reshape(6).toArray()).toEqual([1, 4, 2, 5, 3, 6]);
      const c = arange(24).view(2, 3, 4);
      const p = c.permute(2, 0, 1);
      expect(p.shape).toEqual([4, 2, 3]);
      // p[i, j, k] = c[j, k, i] = 12j + 4k + i
      expect(p.select(0, 1).toArray()).toEqual([1, 5, 9, 13, 17, 21]);
      expect(
        tensor([[1], [2]])
          .expand(2, 3)
          .toArray(),
      ).toEqual([1, 1, 1, 2, 2, 2]);
      expect(tensor([1, 2]).expand(2, -1).toArray()).toEqual([1, 2, 1, 2]);
      expect(tensor([1, 2]).unsqueeze(0).shape).toEqual([1, 2]);
      expect(tensor([1, 2]).unsqueeze(-1).shape).toEqual([2, 1]);
      expect(zeros([1, 2, 1]).squeeze().shape).toEqual([2]);
      expect(zeros([1, 2, 1]).squeeze(0).shape).toEqual([2, 1]);
      expect(zeros([2, 3, 4]).flatten().shape).toEqual([24]);
      expect(zeros([2, 3, 4]).flatten(1).shape).toEqual([2, 12]);
      expect(zeros([2, 3, 4, 5]).flatten(1, 2).shape).toEqual([2, 12, 5]);
    }),
  );
  it(
    'repeat, repeatInterleave, flip',
    t(() => {
      expect(tensor([1, 2]).repeat(2).toArray()).toEqual([1, 2, 1, 2]);
      expect(
        tensor([[1, 2]])
          .repeat(2, 2)
          .toArray(),
      ).toEqual([1, 2, 1, 2, 1, 2, 1, 2]);
      expect(tensor([1, 2]).repeatInterleave(2, 0).toArray()).toEqual([1, 1, 2, 2]);
      expect(x().flip(1).toArray()).toEqual([3, 2, 1, 6, 5, 4]);
      expect(x().flip(0, 1).toArray()).toEqual([6, 5, 4, 3, 2, 1]);
    }),
  );
  it(
    'triu / tril patterns',
    t(() => {
      const o = ones([3, 3]);
      expect(o.triu().toArray()).toEqual([1, 1, 1, 0, 1, 1, 0, 0, 1]);
      expect(o.triu(1).toArray()).toEqual([0, 1, 1, 0, 0, 1, 0, 0, 0]);
      expect(o.triu(-1).toArray()).toEqual([1, 1, 1, 1, 1, 1, 0, 1, 1]);
      expect(o.tril().toArray()).toEqual([1, 0, 0, 1, 1, 0, 1, 1, 1]);
      expect(o.tril(-1).toArray()).toEqual([0, 0, 0, 1, 0, 0, 1, 1, 0]);
      expect(o.tril(1).toArray()).toEqual([1, 1, 0, 1, 1, 1, 1, 1, 1]);
      expect(arange(1, 7).view(2, 3).tril().toArray()).toEqual([1, 0, 0, 4, 5, 0]);
      expect(ones([2, 3], { dtype: 'bool' }).tril().toArray()).toEqual([1, 0, 0, 1, 1, 0]);
    }),
  );
  it(
    'in-place updates: copy_, fill_, mulScalar_, addScaled_',
    t(() => {
      const a = zeros([2, 2]);
      a.copy_(tensor([1, 2]));
      expect(a.toArray()).toEqual([1, 2, 1, 2]);
      a.mulScalar_(3);
      expect(a.toArray()).toEqual([3, 6, 3, 6]);
      a.addScaled_(ones([2, 2]), -0.5);
      expect(a.toArray()).toEqual([2.5, 5.5, 2.5, 5.5]);
      a.fill_(7);
      expect(a.toArray()).toEqual([7, 7, 7, 7]);
    }),
  );
});

describe('creation, dtypes and conversion', () => {
  it(
    'zerosLike and onesLike take shape, dtype and device from their argument, not its history',
    t(() => {
      const x = tensor(
        [
          [1.5, -2],
          [3, 4],
        ],
        { dtype: 'float64', requiresGrad: true },
      );
      const z = zerosLike(x.mul(2));
      expect([z.shape, z.dtype, z.device, z.requiresGrad]).toEqual([[2, 2], 'float64', 'cpu', false]);
      expect(z.toArray()).toEqual([0, 0, 0, 0]);
      const o = onesLike(tensor([[true, false, true]]));
      expect([o.shape, o.dtype]).toEqual([[1, 3], 'bool']);
      expect(onesLike(tensor([7, 8], { dtype: 'int64' })).toTypedArray()).toEqual(
        new BigInt64Array([1n, 1n]),
      );
    }),
  );
  it(
    'arange, full, zeros, ones: values and dtypes',
    t(() => {
      expect(arange(5).dtype).toBe('int64');
      expect(arange(5).toArray()).toEqual([0, 1, 2, 3, 4]);
      expect(arange(2, 11, 3).toArray()).toEqual([2, 5, 8]);
      expect(arange(0, 1, 0.25).dtype).toBe('float32');
      expect(arange(0, 1, 0.25).toArray()).toEqual([0, 0.25, 0.5, 0.75]);
      expect(arange(3, undefined, 1, { dtype: 'float64' }).dtype).toBe('float64');
      expect(zeros([2, 3]).dtype).toBe('float32');
      expect(zeros([2, 3]).toArray()).toEqual([0, 0, 0, 0, 0, 0]);
      expect(ones([2], { dtype: 'int64' }).toTypedArray()).toEqual(new BigInt64Array([1n, 1n]));
      expect(full([2, 2], 2.5).toArray()).toEqual([2.5, 2.5, 2.5, 2.5]);
      expect(full([2], true).dtype).toBe('bool');
      expect(full([3], -1, { dtype: 'float64' }).dtype).toBe('float64');
      expect(zeros([0, 3]).shape).toEqual([0, 3]);
      expect(zeros([0, 3]).toArray()).toEqual([]);
      expect(tensor(3.5).shape).toEqual([]);
      expect(tensor(3.5).item()).toBe(3.5);
      expect(tensor([[1, 2, 3]]).rank).toBe(2);
      expect(tensor([[1, 2, 3]]).size).toBe(3);
      expect(tensor([[1, 2, 3]]).dim(-1)).toBe(3);
      expect(tensor([1]).device).toBe('cpu');
      expect(isFloating('bfloat16')).toBe(true);
      expect(isFloating('int64')).toBe(false);
    }),
  );
  it(
    'round trips through tensor() / toTypedArray() / toArray() for float32, float64, bfloat16, int64, bool',
    t(() => {
      const f32 = tensor([1.5, -2.25, 0.1]);
      expect(f32.dtype).toBe('float32');
      expect(f32.toTypedArray()).toBeInstanceOf(Float32Array);
      expect(Array.from(f32.toTypedArray() as Float32Array)).toEqual(
        Array.from(Float32Array.from([1.5, -2.25, 0.1])),
      );
      const d = tensor([0.1, 1 / 3, -1e300], { dtype: 'float64' });
      expect(d.toTypedArray()).toBeInstanceOf(Float64Array);
      expect(d.toArray()).toEqual([0.1, 1 / 3, -1e300]);
      // bfloat16: 8 significant bits; 0.1 rounds to 205/128·2⁻⁴; raw words are the top half of float32.
      const bf = tensor([1.5, -2, 0.1], { dtype: 'bfloat16' });
      expect(bf.dtype).toBe('bfloat16');
      expect(bf.toArray()).toEqual([1.5, -2, 0.10009765625]);
      expect(Array.from(bf.toTypedArray() as Uint16Array)).toEqual([0x3fc0, 0xc000, 0x3dcd]);
      const big = 2 ** 40 + 3;
      const l = tensor([big, -7, 0], { dtype: 'int64' });
      expect(l.toTypedArray()).toEqual(new BigInt64Array([BigInt(big), -7n, 0n]));
      expect(l.toArray()).toEqual([big, -7, 0]);
      const fromBig = tensor(new BigInt64Array([9007199254740993n, -1n]));
      expect(fromBig.dtype).toBe('int64');
      expect((fromBig.toTypedArray() as BigInt64Array)[0]).toBe(9007199254740993n);
      const b = tensor([true, false, true]);
      expect(b.dtype).toBe('bool');
      expect(b.toArray()).toEqual([1, 0, 1]);
      expect(Array.from(b.toTypedArray() as Uint8Array)).toEqual([1, 0, 1]);
      const typed = tensor(new Float64Array([1, 2, 3, 4, 5, 6]), { shape: [2, 3] });
      expect(typed.dtype).toBe('float64');
      expect(typed.shape).toEqual([2, 3]);
      expect(tensor(new Float32Array([1, 2]), { dtype: 'float64' }).dtype).toBe('float64');
      expect(tensor([1, 0, 2], { dtype: 'bool' }).toArray()).toEqual([1, 0, 1]);
      expect(tensor([1.9, -1.9], { dtype: 'int64' }).toArray()).toEqual([1, -1]);
    }),
  );
  it(
    'casts: to, float, double, long, equal',
    t(() => {
      const a = tensor([1.75, -2.5]);
      expect(a.double().dtype).toBe('float64');
      expect(a.long().toArray()).toEqual([1, -2]);
      expect(a.to('bfloat16').float().toArray()).toEqual([1.75, -2.5]);
      expect(a.to({ dtype: 'float64', device: 'cpu' }).dtype).toBe('float64');
      expect(tensor([0, 3]).to('bool').toArray()).toEqual([0, 1]);
      expect(a.equal(tensor([1.75, -2.5]))).toBe(true);
      expect(a.equal(tensor([1.75, -2.25]))).toBe(false);
    }),
  );
  it(
    'type promotion follows torch',
    t(() => {
      const i = arange(3);
      const f = tensor([0.5, 0.5, 0.5]);
      const d = tensor([1, 1, 1], { dtype: 'float64' });
      const b = tensor([true, false, true]);
      expect(i.add(f).dtype).toBe('float32');
      expect(i.add(f).toArray()).toEqual([0.5, 1.5, 2.5]);
      expect(f.add(d).dtype).toBe('float64');
      expect(b.add(i).dtype).toBe('int64');
      expect(f.to('bfloat16').add(f).dtype).toBe('float32');
      expect(i.div(arange(1, 4)).dtype).toBe('float32');
      expect(i.div(arange(1, 4)).toArray()).toEqual([0, 0.5, 2 / 3].map(Math.fround));
      // Scalars act as torch's Python numbers: they never widen the tensor within its category,
      // integral numbers keep integer tensors integral, fractional ones promote to float32.
      expect(f.mul(2.5).dtype).toBe('float32');
      expect(f.to('bfloat16').mul(3).dtype).toBe('bfloat16');
      expect(d.add(0.1).toArray()).toEqual([1.1, 1.1, 1.1]);
      expect(i.add(1).dtype).toBe('int64');
      expect(i.add(1).toArray()).toEqual([1, 2, 3]);
      expect(i.mul(2).dtype).toBe('int64');
      expect(i.add(0.5).dtype).toBe('float32');
      expect(i.add(0.5).toArray()).toEqual([0.5, 1.5, 2.5]);
      expect(i.div(2).dtype).toBe('float32');
      expect(i.div(2).toArray()).toEqual([0, 0.5, 1]);
      expect(i.pow(2).dtype).toBe('int64');
      expect(b.add(1).dtype).toBe('int64');
      expect(i.lt(1.5).dtype).toBe('bool');
      expect(where(b, i, 0).dtype).toBe('int64');
      expect(where(b, f, 0).dtype).toBe('float32');
    }),
  );
});

describe('dropout', () => {
  it(
    'p = 0 is the identity, p = 1 gives zeros, other p scales kept entries by 1/(1−p)',
    t(() => {
      const x = tensor([1, -2, 3]);
      expect(dropout(x, 0).toArray()).toEqual([1, -2, 3]);
      expect(dropout(x, 1).toArray().map(Math.abs)).toEqual([0, 0, 0]);
      const big = ones([20000]);
      const y = dropout(big, 0.25).toArray();
      const kept = y.filter((v) => v !== 0);
      for (const v of kept) expect(v).toBeCloseTo(1 / 0.75, 6);
      // Binomial(20000, 0.75): σ ≈ 61; allow 5σ.
      expect(Math.abs(kept.length - 15000)).toBeLessThan(5 * Math.sqrt(20000 * 0.75 * 0.25));
    }),
  );
});

describe('runtime', () => {
  it('test/setup.ts gives each test worker one libtorch thread', () => {
    expect(getNumThreads()).toBe(1);
    expect(engineInfo().torchVersion).toMatch(/^\d+\.\d+/);
  });
});
