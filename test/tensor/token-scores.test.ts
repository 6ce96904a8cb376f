/**
 * The fused log-softmax + gather + entropy op (native/src/token-scores.cc) against a float64 hand
 * computation in plain JavaScript, its gradient against central finite differences, bf16 inputs,
 * −∞ (filtered) tokens, error paths, and that libtorch's tracer records it (the recorded decode step
 * replays it).
 */
import { describe, expect, it } from 'vitest';
import { liveTensors, noGrad, type Tensor, tensor, tidy, tokenScores } from '../../src/tensor/index.ts';
import { RecordedStep } from '../../src/tensor/recorded-step.ts';
import { mulberry32 } from '../../src/util/prng.ts';
import { gradcheck } from './gradcheck.ts';

/** Logits rows [N, V] of a spread like an LM head's (a few large, most small), deterministic. */
function logitRows(N: number, V: number, seed: number, scale = 4): number[][] {
  const next = mulberry32(seed);
  return Array.from({ length: N }, () =>
    Array.from({ length: V }, () => scale * (next() + next() + next() - 1.5)),
  );
}

/** Float64 reference, written out: log p(target), −Σ p log p (p = 0 terms dropped), log Σ exp. */
function reference(row: number[], target: number): { logProb: number; entropy: number; lse: number } {
  const m = Math.max(...row);
  let s = 0;
  for (const z of row) s += Math.exp(z - m);
  const lse = m + Math.log(s);
  let entropy = 0;
  for (const z of row) {
    if (z === Number.NEGATIVE_INFINITY) continue;
    const logp = z - lse;
    entropy -= Math.exp(logp) * logp;
  }
  return { logProb: row[target]! - lse, entropy, lse };
}

function targetsFor(N: number, V: number, seed: number): number[] {
  const next = mulberry32(seed);
  return Array.from({ length: N }, () => Math.floor(next() * V));
}

function expectClose(actual: number[], expected: number[], tol: number, what: string): void {
  expect(actual.length).toBe(expected.length);
  const worst = Math.max(...actual.map((a, i) => Math.abs(a - expected[i]!)));
  expect(worst, `${what}: largest error ${worst}`).toBeLessThanOrEqual(tol);
}

describe('tokenScores: values', () => {
  // V covers the scalar tail only, exactly one vector, vector + tail, and a Pythia-sized vocabulary.
  it.each([1, 5, 8, 13, 1003, 50304])(
    'float32 logits [6, %i] agree with a float64 hand computation within 1e-5',
    (V) => {
      const rows = logitRows(6, V, V);
      const targets = targetsFor(6, V, V + 1);
      tidy(() => {
        const r = tokenScores(tensor(rows), tensor(targets, { dtype: 'int64' }));
        expect(r.logProb.dtype).toBe('float32');
        expect(r.logProb.shape).toEqual([6]);
        // The reference reads the float32-rounded logits the op saw.
        const seen = tensor(rows).reshape(6, V).toArray();
        const ref = Array.from({ length: 6 }, (_, i) =>
          reference(seen.slice(i * V, (i + 1) * V), targets[i]!),
        );
        expectClose(
          r.logProb.toArray(),
          ref.map((x) => x.logProb),
          1e-5,
          'log-prob',
        );
        expectClose(
          r.entropy.toArray(),
          ref.map((x) => x.entropy),
          1e-5,
          'entropy',
        );
        expectClose(
          r.logNormalizer.toArray(),
          ref.map((x) => x.lse),
          1e-5,
          'log-normalizer',
        );
      });
    },
  );

  it('float64 logits give float64 results within 1e-12 of the hand computation', () => {
    const rows = logitRows(4, 300, 7, 10);
    const targets = targetsFor(4, 300, 8);
    tidy(() => {
      const r = tokenScores(tensor(rows, { dtype: 'float64' }), tensor(targets, { dtype: 'int64' }));
      expect(r.entropy.dtype).toBe('float64');
      const ref = rows.map((row, i) => reference(row, targets[i]!));
      expectClose(
        r.logProb.toArray(),
        ref.map((x) => x.logProb),
        1e-12,
        'log-prob',
      );
      expectClose(
        r.entropy.toArray(),
        ref.map((x) => x.entropy),
        1e-12,
        'entropy',
      );
    });
  });

  it('bf16 logits are accumulated in float32 or wider: float32 results within 1e-5 of float64 over the same bf16 values', () => {
    const V = 50304;
    const rows = logitRows(3, V, 11);
    const targets = targetsFor(3, V, 12);
    tidy(() => {
      const z = tensor(rows).to({ dtype: 'bfloat16' });
      const r = tokenScores(z, tensor(targets, { dtype: 'int64' }));
      expect(r.logProb.dtype).toBe('float32');
      const seen = z.double().toArray();
      const ref = Array.from({ length: 3 }, (_, i) => reference(seen.slice(i * V, (i + 1) * V), targets[i]!));
      expectClose(
        r.logProb.toArray(),
        ref.map((x) => x.logProb),
        1e-5,
        'log-prob',
      );
      expectClose(
        r.entropy.toArray(),
        ref.map((x) => x.entropy),
        1e-5,
        'entropy',
      );
    });
  });

  it('tokens at −∞ (top-k / top-p filtered) have probability 0 and add nothing to the entropy', () => {
    const ninf = Number.NEGATIVE_INFINITY;
    const rows = [
      [1.5, ninf, 0.25, ninf, -2, ninf, ninf, ninf, 3, ninf, 0.5],
      [ninf, ninf, ninf, ninf, ninf, ninf, ninf, ninf, ninf, 0, ninf],
    ];
    tidy(() => {
      const r = tokenScores(tensor(rows), tensor([8, 9], { dtype: 'int64' }));
      const ref = rows.map((row, i) => reference(row, [8, 9][i]!));
      expectClose(
        r.logProb.toArray(),
        ref.map((x) => x.logProb),
        1e-6,
        'log-prob',
      );
      expectClose(
        r.entropy.toArray(),
        ref.map((x) => x.entropy),
        1e-6,
        'entropy',
      );
      expect(r.entropy.toArray()[1]).toBe(0);
      // A removed target has log-prob −∞.
      expect(tokenScores(tensor(rows), tensor([1, 9], { dtype: 'int64' })).logProb.toArray()[0]).toBe(ninf);
    });
  });

  it('keeps leading dims: logits [2, 3, V] and targets [2, 3] give [2, 3]', () => {
    const rows = logitRows(6, 20, 3);
    const targets = targetsFor(6, 20, 4);
    tidy(() => {
      const r = tokenScores(
        tensor(rows).reshape(2, 3, 20),
        tensor(targets, { dtype: 'int64' }).reshape(2, 3),
      );
      expect(r.entropy.shape).toEqual([2, 3]);
      const ref = rows.map((row, i) => reference(row, targets[i]!));
      expectClose(
        r.entropy.reshape(-1).toArray(),
        ref.map((x) => x.entropy),
        1e-5,
        'entropy',
      );
    });
  });

  it('a NaN logit gives NaN for its row only', () => {
    tidy(() => {
      const r = tokenScores(
        tensor([
          [0, Number.NaN, 1],
          [0, 1, 2],
        ]),
        tensor([0, 0], { dtype: 'int64' }),
      );
      const [nanRow, fine] = r.entropy.toArray();
      expect(Number.isNaN(nanRow)).toBe(true);
      expect(Number.isFinite(fine)).toBe(true);
    });
  });
});

describe('tokenScores: gradients', () => {
  it('float64 backward of Σ w·(log-prob, entropy, log-normalizer) matches central finite differences', () => {
    const base = liveTensors();
    tidy(() => {
      const targets = tensor(targetsFor(5, 11, 21), { dtype: 'int64' });
      const logits = tensor(logitRows(5, 11, 22, 1.5), { dtype: 'float64' });
      const r = gradcheck(
        (z) => {
          const s = tokenScores(z, targets);
          return [s.logProb, s.entropy, s.logNormalizer];
        },
        [logits],
      );
      expect(r.checked).toBe(55);
      expect(r.ok, r.message).toBe(true);
    });
    expect(liveTensors()).toBe(base);
  });

  it('each output alone (the others unused, so their gradients are undefined) matches finite differences', () => {
    tidy(() => {
      const targets = tensor(targetsFor(3, 9, 31), { dtype: 'int64' });
      const logits = tensor(logitRows(3, 9, 32, 1.5), { dtype: 'float64' });
      for (const pick of ['logProb', 'entropy', 'logNormalizer'] as const) {
        const r = gradcheck((z) => tokenScores(z, targets)[pick], [logits]);
        expect(r.ok, `${pick}: ${r.message}`).toBe(true);
      }
    });
  });

  it('the float32 (vectorised) backward agrees with the float64 one within 1e-5, at V = 1003', () => {
    const V = 1003;
    const rows = logitRows(4, V, 41);
    const w = [0.7, -1.3, 0.4];
    const gradOf = (z: Tensor): number[] => {
      const targets = tensor(targetsFor(4, V, 42), { dtype: 'int64' });
      const leaf = z.requiresGrad_(true);
      const s = tokenScores(leaf, targets);
      s.logProb.mul(w[0]!).add(s.entropy.mul(w[1]!)).add(s.logNormalizer.mul(w[2]!)).sum().backward();
      return leaf.grad!.double().toArray();
    };
    tidy(() => {
      const g32 = gradOf(tensor(rows));
      const g64 = gradOf(tensor(rows).double().detach());
      expectClose(g32, g64, 1e-5, 'gradient');
    });
  });

  it('gradients at −∞ logits are 0, and finite elsewhere', () => {
    tidy(() => {
      const z = tensor([[1, Number.NEGATIVE_INFINITY, 0.5, -1]], { dtype: 'float64' }).requiresGrad_(true);
      const s = tokenScores(z, tensor([0], { dtype: 'int64' }));
      s.logProb.add(s.entropy).sum().backward();
      const g = z.grad!.toArray();
      expect(g[1]).toBe(0);
      for (const x of g) expect(Number.isFinite(x)).toBe(true);
    });
  });
});

describe('tokenScores: the ATen-op path (what devices without the fused kernel run)', () => {
  it('MAXENT_TOKEN_SCORES=composite gives the same values and gradients as the fused kernel', () => {
    const V = 1003;
    const ninf = Number.NEGATIVE_INFINITY;
    const rows = logitRows(4, V, 61).map((row, i) => row.map((z, v) => (v % (i + 2) === 1 ? ninf : z)));
    // Row i removes tokens v ≡ 1 (mod i + 2); its target is never one of them.
    const targets = targetsFor(4, V, 62).map((t, i) => (t % (i + 2) === 1 ? t - 1 : t));
    const run = (): number[][] =>
      tidy(() => {
        const z = tensor(rows, { dtype: 'float64' }).requiresGrad_(true);
        const s = tokenScores(z, tensor(targets, { dtype: 'int64' }));
        s.logProb.mul(0.5).add(s.entropy.mul(-1.5)).add(s.logNormalizer.mul(0.25)).sum().backward();
        return [s.logProb.toArray(), s.entropy.toArray(), s.logNormalizer.toArray(), z.grad!.toArray()];
      });
    const fused = run();
    const before = process.env.MAXENT_TOKEN_SCORES;
    process.env.MAXENT_TOKEN_SCORES = 'composite';
    let composite: number[][];
    try {
      composite = run();
      // The switch took: out-of-range targets now reach ATen's gather (the fused kernel names the row).
      expect(() => tidy(() => tokenScores(tensor([[0, 1]]), tensor([2], { dtype: 'int64' })))).toThrow(
        /tokenScores.*out of bounds/s,
      );
    } finally {
      if (before === undefined) delete process.env.MAXENT_TOKEN_SCORES;
      else process.env.MAXENT_TOKEN_SCORES = before;
    }
    // Both paths are exact float64 formulas; only summation order differs.
    for (const [k, what] of ['log-prob', 'entropy', 'log-normalizer', 'gradient'].entries())
      expectClose(composite[k]!, fused[k]!, 1e-12, what);
  });
});

describe('tokenScores: errors and recording', () => {
  it('bad inputs are JS errors naming the op, the problem and the inputs', () => {
    tidy(() => {
      const z = tensor(logitRows(2, 4, 1));
      expect(() => tokenScores(z, tensor([0, 4], { dtype: 'int64' }))).toThrow(
        /tokenScores.*target 4 of row 1 is outside the vocabulary \[0, 4\).*\[2,4\] float32/s,
      );
      expect(() => tokenScores(z, tensor([0, 1]))).toThrow(/tokenScores.*targets must be int64/s);
      expect(() => tokenScores(z, tensor([0, 1, 2], { dtype: 'int64' }))).toThrow(
        /tokenScores.*targets must be \[2\]/s,
      );
      expect(() => tokenScores(tensor([1, 2], { dtype: 'int64' }), tensor(0, { dtype: 'int64' }))).toThrow(
        /tokenScores.*floating point/s,
      );
    });
  });

  it("libtorch's tracer records it as one op, and the replay computes fresh inputs' scores", () => {
    noGrad(() =>
      tidy(() => {
        const targets = tensor([2, 0, 5], { dtype: 'int64' });
        const { step, outputs } = RecordedStep.record([tensor(logitRows(3, 7, 51)), targets], ([z, t]) => {
          const s = tokenScores(z!, t!);
          return [s.logProb, s.entropy];
        });
        try {
          expect(step.graph().match(/maxent_rlhf::token_scores/g)).toHaveLength(1);
          expect(outputs[0]!.shape).toEqual([3]);
          const fresh = logitRows(3, 7, 52);
          const [logProb, entropy] = step.run([tensor(fresh), targets]);
          const ref = fresh.map((row, i) => reference(tensor(row).toArray(), [2, 0, 5][i]!));
          expectClose(
            logProb!.toArray(),
            ref.map((x) => x.logProb),
            1e-5,
            'replayed log-prob',
          );
          expectClose(
            entropy!.toArray(),
            ref.map((x) => x.entropy),
            1e-5,
            'replayed entropy',
          );
        } finally {
          step.dispose();
        }
      }),
    );
  });
});
