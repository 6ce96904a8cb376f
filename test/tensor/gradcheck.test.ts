/**
 * Autograd of every differentiable op against central finite differences in float64 (see
 * gradcheck.ts for the method and tolerances). Inputs are deterministic and, for non-smooth ops,
 * kept well away from kinks and ties.
 */
import { describe, expect, it } from 'vitest';
import {
  attention,
  cat,
  crossEntropy,
  dropout,
  embedding,
  layerNorm,
  linear,
  liveTensors,
  maximum,
  minimum,
  stack,
  type Tensor,
  tensor,
  tidy,
  where,
} from '../../src/tensor/index.ts';
import { gradcheck } from './gradcheck.ts';

/** Deterministic float64 values in [lo, hi], at least `gap` away from every point in `avoid`. */
function vals(shape: number[], seed: number, lo = -1.5, hi = 1.5, avoid: number[] = [], gap = 0.05): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    for (;;) {
      s = (s * 1103515245 + 12345) % 2147483648;
      const v = lo + (s / 2147483648) * (hi - lo);
      if (avoid.every((a) => Math.abs(v - a) > gap)) {
        out[i] = v;
        break;
      }
    }
  }
  return tensor(out, { shape });
}
const f64 = (data: number[] | number[][] | number[][][]) => tensor(data, { dtype: 'float64' });
const i64 = (data: number[] | number[][]) => tensor(data, { dtype: 'int64' });
const bool = (data: boolean[] | boolean[][] | boolean[][][][]) => tensor(data);

type Case = [name: string, fn: (...xs: Tensor[]) => Tensor | Tensor[], inputs: () => Tensor[]];

function check(cases: Case[]): void {
  it.each(cases)('%s', (_name, fn, inputs) => {
    const base = liveTensors();
    tidy(() => {
      const r = gradcheck(fn, inputs());
      expect(r.checked).toBeGreaterThan(0);
      expect(r.ok, r.message).toBe(true);
    });
    expect(liveTensors()).toBe(base);
  });
}

describe('gradcheck helper', () => {
  it('detects a wrong gradient (x.detach()·x has autograd gradient x, true gradient 2x)', () => {
    tidy(() => {
      const r = gradcheck((x) => x.detach().mul(x), [vals([4], 1, 0.5, 2)]);
      expect(r.ok).toBe(false);
      expect(r.maxAbsErr).toBeGreaterThan(0.4);
    });
  });
  it('accepts a correct gradient', () => {
    tidy(() => {
      const r = gradcheck((x) => x.mul(x), [vals([4], 1, 0.5, 2)]);
      expect(r.ok, r.message).toBe(true);
      expect(r.checked).toBe(4);
      expect(r.maxAbsErr).toBeLessThan(1e-8);
    });
  });
});

describe('binary elementwise (tensor and scalar operands, broadcasting)', () => {
  check([
    ['add [2,3]+[3]', (a, b) => a.add(b), () => [vals([2, 3], 1), vals([3], 2)]],
    ['add [2,1]+[1,3]', (a, b) => a.add(b), () => [vals([2, 1], 3), vals([1, 3], 4)]],
    ['add scalar', (a) => a.add(2.5), () => [vals([2, 3], 5)]],
    ['sub [2,3]-[2,1]', (a, b) => a.sub(b), () => [vals([2, 3], 6), vals([2, 1], 7)]],
    ['sub scalar', (a) => a.sub(1.5), () => [vals([3], 8)]],
    ['rsub scalar', (a) => a.rsub(2), () => [vals([3], 9)]],
    ['mul [2,3]*[3]', (a, b) => a.mul(b), () => [vals([2, 3], 10), vals([3], 11)]],
    ['mul scalar', (a) => a.mul(-1.5), () => [vals([2, 2], 12)]],
    ['div [2,3]/[3]', (a, b) => a.div(b), () => [vals([2, 3], 13), vals([3], 14, 0.5, 2)]],
    [
      'div [3]/[2,1] (denominator broadcast)',
      (a, b) => a.div(b),
      () => [vals([3], 15), vals([2, 1], 16, -2, -0.5)],
    ],
    ['div scalar', (a) => a.div(2.5), () => [vals([3], 17)]],
    ['pow tensor^tensor', (a, b) => a.pow(b), () => [vals([2, 3], 18, 0.5, 2), vals([3], 19, -1, 2)]],
    ['pow tensor^scalar', (a) => a.pow(3), () => [vals([2, 3], 20)]],
    ['pow tensor^fractional scalar', (a) => a.pow(1.5), () => [vals([4], 21, 0.3, 2)]],
    ['minimum tensor', (a, b) => minimum(a, b), () => [f64([0.1, 1.2, -0.7]), f64([0.4, 0.3, -0.2])]],
    [
      'maximum tensor (broadcast)',
      (a, b) => maximum(a, b),
      () => [f64([[0.1, 1.2, -0.7]]), f64([[0.4], [-0.2]])],
    ],
    ['minimum scalar', (a) => a.minimum(0.25), () => [f64([0.1, 1.2, -0.7, 0.5])]],
    ['maximum scalar', (a) => a.maximum(0.25), () => [f64([0.1, 1.2, -0.7, 0.5])]],
  ]);
});

describe('unary elementwise', () => {
  check([
    ['neg', (a) => a.neg(), () => [vals([2, 3], 30)]],
    ['exp', (a) => a.exp(), () => [vals([2, 3], 31)]],
    ['log', (a) => a.log(), () => [vals([2, 3], 32, 0.2, 3)]],
    ['log1p', (a) => a.log1p(), () => [vals([2, 3], 33, -0.8, 3)]],
    ['expm1', (a) => a.expm1(), () => [vals([2, 3], 34)]],
    ['tanh', (a) => a.tanh(), () => [vals([2, 3], 35, -3, 3)]],
    ['sigmoid', (a) => a.sigmoid(), () => [vals([2, 3], 36, -4, 4)]],
    ['logSigmoid', (a) => a.logSigmoid(), () => [vals([2, 3], 37, -6, 6)]],
    ['relu', (a) => a.relu(), () => [vals([2, 3], 38, -2, 2, [0])]],
    ['sqrt', (a) => a.sqrt(), () => [vals([2, 3], 39, 0.2, 3)]],
    ['rsqrt', (a) => a.rsqrt(), () => [vals([2, 3], 40, 0.2, 3)]],
    ['abs', (a) => a.abs(), () => [vals([2, 3], 41, -2, 2, [0])]],
    ['square', (a) => a.square(), () => [vals([2, 3], 42)]],
    ['reciprocal', (a) => a.reciprocal(), () => [vals([2, 3], 43, -2, 2, [0], 0.3)]],
    ['sin', (a) => a.sin(), () => [vals([2, 3], 44, -3, 3)]],
    ['cos', (a) => a.cos(), () => [vals([2, 3], 45, -3, 3)]],
    ['erf', (a) => a.erf(), () => [vals([2, 3], 46, -2, 2)]],
    ['softplus', (a) => a.softplus(), () => [vals([2, 3], 47, -4, 4)]],
    [
      'softplus beta=2 threshold=1 (both branches)',
      (a) => a.softplus(2, 1),
      () => [vals([3, 3], 48, -2, 2, [0.5])],
    ],
    ['gelu exact', (a) => a.gelu(), () => [vals([2, 3], 49, -3, 3)]],
    ['gelu tanh', (a) => a.gelu('tanh'), () => [vals([2, 3], 50, -3, 3)]],
    ['clamp [min,max]', (a) => a.clamp(-0.5, 0.7), () => [vals([3, 3], 51, -2, 2, [-0.5, 0.7])]],
    ['clamp min only', (a) => a.clamp(0.1), () => [vals([3, 3], 52, -2, 2, [0.1])]],
    ['clamp max only', (a) => a.clamp(null, 0.1), () => [vals([3, 3], 53, -2, 2, [0.1])]],
    ['clone', (a) => a.clone(), () => [vals([2, 2], 54)]],
  ]);
});

describe('selection by mask', () => {
  const cond = () =>
    bool([
      [true, false, true],
      [false, false, true],
    ]);
  check([
    [
      'where tensor/tensor (broadcast b)',
      (a, b) => where(cond(), a, b),
      () => [vals([2, 3], 60), vals([3], 61)],
    ],
    ['where tensor/scalar', (a) => where(cond(), a, 0.5), () => [vals([2, 3], 62)]],
    ['where scalar/tensor', (b) => where(cond(), -1, b), () => [vals([2, 3], 63)]],
    ['maskedFill', (a) => a.maskedFill(cond(), -2), () => [vals([2, 3], 64)]],
    [
      'maskedFill broadcast mask [3]',
      (a) => a.maskedFill(bool([false, true, false]), 0),
      () => [vals([2, 3], 65)],
    ],
  ]);
});

describe('reductions', () => {
  check([
    ['sum all', (a) => a.sum(), () => [vals([2, 3], 70)]],
    ['sum dim 1', (a) => a.sum(1), () => [vals([2, 3], 71)]],
    ['sum dims [0,2] keepdim', (a) => a.sum([0, 2], true), () => [vals([2, 3, 2], 72)]],
    ['mean all', (a) => a.mean(), () => [vals([2, 3], 73)]],
    ['mean dim -1', (a) => a.mean(-1), () => [vals([2, 3], 74)]],
    ['mean dims [0,1] keepdim', (a) => a.mean([0, 1], true), () => [vals([2, 3, 2], 75)]],
    [
      'max all',
      (a) => a.max(),
      () => [
        f64([
          [0.1, 0.9, -0.3],
          [0.5, -1.2, 0.2],
        ]),
      ],
    ],
    [
      'max dim 1',
      (a) => a.max(1),
      () => [
        f64([
          [0.1, 0.9, -0.3],
          [0.5, -1.2, 0.2],
        ]),
      ],
    ],
    [
      'max dim 0 keepdim',
      (a) => a.max(0, true),
      () => [
        f64([
          [0.1, 0.9, -0.3],
          [0.5, -1.2, 0.2],
        ]),
      ],
    ],
    [
      'min all',
      (a) => a.min(),
      () => [
        f64([
          [0.1, 0.9, -0.3],
          [0.5, -1.2, 0.2],
        ]),
      ],
    ],
    [
      'min dims [0,1]',
      (a) => a.min([0, 1]),
      () => [
        f64([
          [0.1, 0.9, -0.3],
          [0.5, -1.2, 0.2],
        ]),
      ],
    ],
    [
      'maxWithIndices values',
      (a) => a.maxWithIndices(1)[0],
      () => [
        f64([
          [0.1, 0.9, -0.3],
          [0.5, -1.2, 0.2],
        ]),
      ],
    ],
    [
      'minWithIndices values keepdim',
      (a) => a.minWithIndices(0, true)[0],
      () => [
        f64([
          [0.1, 0.9],
          [0.5, -1.2],
        ]),
      ],
    ],
    ['logsumexp dim 1', (a) => a.logsumexp(1), () => [vals([2, 4], 76, -3, 3)]],
    ['logsumexp dims [0,1] keepdim', (a) => a.logsumexp([0, 1], true), () => [vals([2, 3, 2], 77, -3, 3)]],
    ['cumsum dim 0', (a) => a.cumsum(0), () => [vals([3, 2], 78)]],
    ['cumsum dim -1', (a) => a.cumsum(-1), () => [vals([2, 4], 79)]],
    ['var all (unbiased)', (a) => a.var(), () => [vals([2, 3], 80)]],
    [
      'var dim 1 biased keepdim',
      (a) => a.var(1, { unbiased: false, keepdim: true }),
      () => [vals([2, 4], 81)],
    ],
    ['norm p=2 all', (a) => a.norm(), () => [vals([2, 3], 82)]],
    ['norm p=2 dim 1 keepdim', (a) => a.norm(2, 1, true), () => [vals([2, 3], 83)]],
    ['norm p=1 dim 0', (a) => a.norm(1, 0), () => [vals([3, 2], 84, -2, 2, [0], 0.1)]],
    ['norm p=3 all', (a) => a.norm(3), () => [vals([5], 85, -2, 2, [0], 0.1)]],
  ]);
});

describe('neural-network primitives', () => {
  check([
    ['softmax dim -1', (a) => a.softmax(-1), () => [vals([2, 4], 90, -2, 2)]],
    ['softmax dim 0', (a) => a.softmax(0), () => [vals([3, 2], 91, -2, 2)]],
    ['logSoftmax dim -1', (a) => a.logSoftmax(-1), () => [vals([2, 4], 92, -2, 2)]],
    ['logSoftmax dim 1 of 3-d', (a) => a.logSoftmax(1), () => [vals([2, 3, 2], 93, -2, 2)]],
    [
      'layerNorm input, weight, bias',
      (x, w, b) => layerNorm(x, [4], w, b),
      () => [vals([2, 3, 4], 94, -2, 2), vals([4], 95, 0.5, 1.5), vals([4], 96)],
    ],
    [
      'layerNorm over two dims',
      (x, w, b) => layerNorm(x, [2, 3], w, b),
      () => [vals([2, 2, 3], 97), vals([2, 3], 98), vals([2, 3], 99)],
    ],
    ['layerNorm without affine', (x) => layerNorm(x, [5]), () => [vals([3, 5], 100)]],
    ['matmul 2-d', (a, b) => a.matmul(b), () => [vals([2, 3], 101), vals([3, 4], 102)]],
    ['matmul batched broadcast', (a, b) => a.matmul(b), () => [vals([2, 2, 3], 103), vals([3, 2], 104)]],
    ['matmul vector-matrix', (a, b) => a.matmul(b), () => [vals([3], 105), vals([3, 2], 106)]],
    ['matmul matrix-vector', (a, b) => a.matmul(b), () => [vals([2, 3], 107), vals([3], 108)]],
    ['bmm', (a, b) => a.bmm(b), () => [vals([2, 2, 3], 109), vals([2, 3, 2], 110)]],
    [
      'linear with bias',
      (x, w, b) => linear(x, w, b),
      () => [vals([2, 3], 111), vals([4, 3], 112), vals([4], 113)],
    ],
    ['linear 3-d input, no bias', (x, w) => linear(x, w), () => [vals([2, 2, 3], 114), vals([2, 3], 115)]],
    [
      'embedding (repeated indices accumulate)',
      (w) =>
        embedding(
          w,
          i64([
            [0, 3, 3],
            [4, 0, 1],
          ]),
        ),
      () => [vals([5, 3], 116)],
    ],
    [
      'attention with mask',
      (q, k, v) =>
        attention(q, k, v, {
          mask: bool([
            [
              [
                [true, true, false, true, true],
                [true, false, true, true, false],
                [true, true, true, true, true],
              ],
            ],
          ]),
        }),
      () => [vals([1, 2, 3, 4], 117), vals([1, 2, 5, 4], 118), vals([1, 2, 5, 4], 119)],
    ],
    [
      'attention causal (Tq < Tk, aligned to the end)',
      (q, k, v) => attention(q, k, v, { causal: true }),
      () => [vals([2, 1, 3, 4], 120), vals([2, 1, 5, 4], 121), vals([2, 1, 5, 4], 122)],
    ],
    [
      'attention causal and mask',
      (q, k, v) => attention(q, k, v, { causal: true, mask: bool([[[[true, false, true]]]]) }),
      () => [vals([1, 2, 3, 2], 123), vals([1, 2, 3, 2], 124), vals([1, 2, 3, 2], 125)],
    ],
    [
      'attention with a fully masked row (zero output, zero gradient)',
      (q, k, v) =>
        attention(q, k, v, {
          mask: bool([
            [
              [
                [true, true],
                [false, false],
              ],
            ],
          ]),
        }),
      () => [vals([1, 1, 2, 3], 126), vals([1, 1, 2, 3], 127), vals([1, 1, 2, 3], 128)],
    ],
    ['crossEntropy mean', (l) => crossEntropy(l, i64([2, 0, 1])), () => [vals([3, 4], 129, -2, 2)]],
    [
      'crossEntropy sum',
      (l) => crossEntropy(l, i64([2, 0, 1]), { reduction: 'sum' }),
      () => [vals([3, 4], 130, -2, 2)],
    ],
    [
      'crossEntropy none',
      (l) => crossEntropy(l, i64([2, 0, 1]), { reduction: 'none' }),
      () => [vals([3, 4], 131, -2, 2)],
    ],
    [
      'crossEntropy ignoreIndex',
      (l) => crossEntropy(l, i64([2, -1, 1]), { ignoreIndex: -1 }),
      () => [vals([3, 4], 132, -2, 2)],
    ],
    ['dropout p=0 is the identity', (a) => dropout(a, 0), () => [vals([2, 3], 133)]],
  ]);
});

describe('indexing', () => {
  check([
    [
      'gather dim 1',
      (a) =>
        a.gather(
          1,
          i64([
            [2, 0],
            [1, 1],
          ]),
        ),
      () => [vals([2, 3], 140)],
    ],
    ['gather dim 0', (a) => a.gather(0, i64([[1, 0, 1]])), () => [vals([2, 3], 141)]],
    ['indexSelect with repeats', (a) => a.indexSelect(0, i64([2, 0, 2])), () => [vals([3, 2], 142)]],
    ['indexSelect dim 1', (a) => a.indexSelect(1, i64([1])), () => [vals([2, 3], 143)]],
    [
      'scatter (self and src)',
      (a, s) =>
        a.scatter(
          1,
          i64([
            [2, 0],
            [1, 2],
          ]),
          s,
        ),
      () => [vals([2, 3], 144), vals([2, 2], 145)],
    ],
    [
      'scatterAdd with duplicate indices (self and src)',
      (a, s) =>
        a.scatterAdd(
          1,
          i64([
            [2, 2, 0],
            [1, 1, 1],
          ]),
          s,
        ),
      () => [vals([2, 3], 146), vals([2, 3], 147)],
    ],
  ]);
});

describe('joining and slicing', () => {
  check([
    ['cat dim 0', (a, b) => cat([a, b], 0), () => [vals([2, 3], 150), vals([1, 3], 151)]],
    [
      'cat dim 1',
      (a, b, c) => cat([a, b, c], 1),
      () => [vals([2, 1], 152), vals([2, 2], 153), vals([2, 1], 154)],
    ],
    ['stack dim 0', (a, b) => stack([a, b]), () => [vals([2, 3], 155), vals([2, 3], 156)]],
    ['stack dim -1', (a, b) => stack([a, b], -1), () => [vals([2, 3], 157), vals([2, 3], 158)]],
    ['split size 2 (uneven)', (a) => a.split(2, 1), () => [vals([2, 5], 159)]],
    ['split sizes [1,3]', (a) => a.split([1, 3], 0), () => [vals([4, 2], 160)]],
    ['split, one part used', (a) => a.split(2, 0)[1]!, () => [vals([4, 2], 161)]],
    ['chunk 3', (a) => a.chunk(3, 1), () => [vals([2, 6], 162)]],
    ['narrow', (a) => a.narrow(1, 1, 2), () => [vals([2, 4], 163)]],
    ['slice with step', (a) => a.slice(1, 0, 5, 2), () => [vals([2, 5], 164)]],
    ['slice negative start', (a) => a.slice(0, -2), () => [vals([4, 2], 165)]],
    ['select', (a) => a.select(1, 2), () => [vals([2, 3], 166)]],
    ['select negative index', (a) => a.select(0, -1), () => [vals([3, 2], 167)]],
  ]);
});

describe('shape', () => {
  check([
    ['view', (a) => a.view(3, 2), () => [vals([2, 3], 170)]],
    ['view -1', (a) => a.view(-1), () => [vals([2, 3], 171)]],
    ['reshape of a transpose', (a) => a.transpose(0, 1).reshape(6), () => [vals([2, 3], 172)]],
    ['permute', (a) => a.permute(2, 0, 1), () => [vals([2, 3, 2], 173)]],
    ['transpose', (a) => a.transpose(0, 2), () => [vals([2, 3, 2], 174)]],
    ['expand', (a) => a.expand(2, 3, 4), () => [vals([3, 1], 175)]],
    ['expand -1', (a) => a.expand(3, -1), () => [vals([1, 4], 176)]],
    ['unsqueeze', (a) => a.unsqueeze(1), () => [vals([2, 3], 177)]],
    ['squeeze all', (a) => a.squeeze(), () => [vals([2, 1, 3, 1], 178)]],
    ['squeeze dim', (a) => a.squeeze(1), () => [vals([2, 1, 3], 179)]],
    ['flatten', (a) => a.flatten(), () => [vals([2, 3, 2], 180)]],
    ['flatten 1..2', (a) => a.flatten(1, 2), () => [vals([2, 3, 2], 181)]],
    ['repeat', (a) => a.repeat(2, 3), () => [vals([2, 2], 182)]],
    ['repeatInterleave', (a) => a.repeatInterleave(2, 0), () => [vals([3, 2], 183)]],
    ['flip', (a) => a.flip(0, 1), () => [vals([2, 3], 184)]],
    ['triu', (a) => a.triu(), () => [vals([3, 4], 185)]],
    ['triu k=1', (a) => a.triu(1), () => [vals([3, 3], 186)]],
    ['tril', (a) => a.tril(), () => [vals([3, 4], 187)]],
    ['tril k=-1', (a) => a.tril(-1), () => [vals([3, 3], 188)]],
    ['contiguous of permute', (a) => a.permute(1, 0).contiguous(), () => [vals([2, 3], 189)]],
  ]);
});

describe('composite: a two-layer network end to end', () => {
  check([
    [
      'linear → gelu → layerNorm → linear → crossEntropy',
      (x, w1, b1, g, w2) =>
        crossEntropy(linear(layerNorm(linear(x, w1, b1).gelu(), [4], g, null), w2), i64([1, 0, 2])),
      () => [
        vals([3, 2], 190),
        vals([4, 2], 191),
        vals([4], 192),
        vals([4], 193, 0.5, 1.5),
        vals([3, 4], 194),
      ],
    ],
  ]);
});
