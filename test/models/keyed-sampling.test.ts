/**
 * Keyed sampling: a row's tokens are a function of its key, not of its batch — the same rows sampled
 * in one batch, in chunks and in another order give the same tokens — and inverse-CDF sampling from
 * keyed uniforms draws from the model's exact distribution (chi-square against its softmax).
 */
import { describe, expect, it } from 'vitest';
import { GPTNeoXForCausalLM } from '../../src/models/gptneox/model.ts';
import { type GenerateOptions, generate } from '../../src/models/sampling/generate.ts';
import { type SampleKey, samplingNoise } from '../../src/models/sampling/sampling-noise.ts';
import { TokenDistribution } from '../../src/models/token-distribution.ts';
import { noGrad, tensor, tidy } from '../../src/tensor/index.ts';
import { hashKey, keyedUniforms } from '../../src/util/prng.ts';
import { int64, tinyConfig, wideRandomState } from './model-fixtures.ts';

const config = tinyConfig();
const model = new GPTNeoXForCausalLM(config, wideRandomState(config, 'causal-lm', 31));

/** Six left-padded prompts of different lengths. */
const PROMPT_ROWS = [
  [0, 0, 0, 5, 6],
  [7, 8, 9, 10, 11],
  [0, 12, 13, 14, 15],
  [0, 0, 1, 2, 3],
  [0, 0, 0, 0, 4],
  [16, 17, 18, 19, 20],
];
const keys: SampleKey[] = PROMPT_ROWS.map((_, j) => ({ seed: 3, step: 7, prompt: j >> 1, sample: j & 1 }));

function sampleRows(order: number[], opts: Partial<GenerateOptions>): number[][] {
  return tidy(() => {
    const ids = int64(order.map((i) => PROMPT_ROWS[i]!));
    const mask = int64(order.map((i) => PROMPT_ROWS[i]!.map((t, c) => (t === 0 && c < 4 ? 0 : 1))));
    const g = generate(
      model,
      { ids, mask },
      {
        maxNewTokens: 12,
        eosId: 3,
        padId: 0,
        temperature: 1.3,
        noise: samplingNoise(
          order.map((i) => keys[i]!),
          12,
        ),
        ...opts,
      },
    );
    const R = g.tokens.dim(1);
    const flat = g.tokens.toArray();
    const valid = g.responseMask.toArray();
    // Each row's tokens up to its EOS (padding dropped), in the original row order.
    const rows = order.map((_, b) => flat.slice(b * R, (b + 1) * R).filter((_, t) => valid[b * R + t] === 1));
    const out: number[][] = [];
    order.forEach((i, b) => {
      out[i] = rows[b]!;
    });
    return out;
  });
}

describe('keyed sampling', () => {
  it('hashKey and keyedUniforms match an independent implementation', () => {
    // Printed by a Python implementation with explicit 32-bit masking (not by this code).
    expect([[], [0], [1, 2], [2, 1], [7, 2 ** 40 + 3]].map(hashKey)).toEqual([
      1779033703, 2253002423, 2929980550, 2587065692, 351664539,
    ]);
    expect([...keyedUniforms(hashKey([1, 0, 0, 0]), 3)]).toEqual([
      0.7245245939899186, 0.09220519651947023, 0.035030326966727476,
    ]);
    expect(() => hashKey([1.5])).toThrow(/non-negative safe integers/);
  });

  it('gives each row the same tokens in one batch, in chunks and in another order', () => {
    for (const filters of [{}, { topK: 6 }, { topP: 0.8 }]) {
      const whole = sampleRows([0, 1, 2, 3, 4, 5], filters);
      expect(new Set(whole.map((r) => r.join())).size, 'rows differ from each other').toBeGreaterThan(3);
      for (const batchSize of [1, 2, 4])
        expect(sampleRows([0, 1, 2, 3, 4, 5], { ...filters, batchSize })).toEqual(whole);
      expect(sampleRows([5, 3, 1, 0, 2, 4], filters)).toEqual(whole);
      const pair = sampleRows([4, 2], filters);
      expect([pair[2], pair[4]]).toEqual([whole[2], whole[4]]);
    }
  });

  it('changes the tokens when the step, prompt position or sample index changes', () => {
    const base = tidy(() => samplingNoise([{ seed: 1, step: 2, prompt: 3, sample: 0 }], 8).toArray());
    for (const other of [
      { seed: 2, step: 2, prompt: 3, sample: 0 },
      { seed: 1, step: 3, prompt: 3, sample: 0 },
      { seed: 1, step: 2, prompt: 4, sample: 0 },
      { seed: 1, step: 2, prompt: 3, sample: 1 },
    ])
      expect(tidy(() => samplingNoise([other], 8).toArray())).not.toEqual(base);
  });

  it('draws from the exact softmax: chi-square of 30 000 keyed draws per distribution', () => {
    // Three distributions: peaked, flat, and with zero-probability (filtered) tokens.
    const logits = [
      [2, 1, 0.5, 0, -1, -3, 0.2, 1.5],
      [0, 0, 0, 0, 0, 0, 0, 0],
      [1, Number.NEGATIVE_INFINITY, 0, 2, Number.NEGATIVE_INFINITY, -1, 0.5, Number.NEGATIVE_INFINITY],
    ];
    const N = 30_000;
    for (const [row, z] of logits.entries()) {
      const counts = tidy(() => {
        const d = new TokenDistribution(tensor(Array.from({ length: N }, () => z)), { filtered: true });
        const u = samplingNoise(
          Array.from({ length: N }, (_, i) => ({ seed: 11, step: row, prompt: i, sample: 0 })),
          1,
        ).select(1, 0);
        const drawn = d.sample(u).toArray();
        return z.map((_, v) => drawn.filter((t) => t === v).length);
      });
      const p = softmax(z);
      const stat = chiSquare(counts, p, N);
      expect(stat.value, `row ${row}: χ² ${stat.value.toFixed(1)} on ${stat.df} dof`).toBeLessThan(
        chiSquareCritical(stat.df),
      );
      for (const [v, pv] of p.entries()) if (pv === 0) expect(counts[v], `token ${v} has p = 0`).toBe(0);
    }
  });

  it("generate samples the model's next-token distribution at the sampling temperature", () => {
    const N = 6000;
    const T = 1.3;
    const prompt = [7, 8, 9, 10, 11];
    const exact = noGrad(() =>
      tidy(() =>
        softmax(
          model
            .logits(int64([prompt]), int64([prompt.map(() => 1)]))
            .select(1, 4)
            .squeeze(0)
            .toArray()
            .map((v) => v / T),
        ),
      ),
    );
    const counts = tidy(() => {
      const g = generate(
        model,
        {
          ids: int64(Array.from({ length: N }, () => prompt)),
          mask: int64(Array.from({ length: N }, () => prompt.map(() => 1))),
        },
        {
          maxNewTokens: 1,
          eosId: -1,
          padId: 0,
          temperature: T,
          noise: samplingNoise(
            Array.from({ length: N }, (_, i) => ({ seed: 5, step: 0, prompt: i, sample: 0 })),
            1,
          ),
          batchSize: 1000,
        },
      );
      const drawn = g.tokens.toArray();
      return exact.map((_, v) => drawn.filter((t) => t === v).length);
    });
    const stat = chiSquare(counts, exact, N);
    expect(stat.value, `χ² ${stat.value.toFixed(1)} on ${stat.df} dof`).toBeLessThan(
      chiSquareCritical(stat.df),
    );
  });
});

function softmax(z: number[]): number[] {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** Pearson's χ² over categories with expected count ≥ 5 (the rest pooled into one). */
function chiSquare(counts: number[], p: number[], n: number): { value: number; df: number } {
  let value = 0;
  let cells = 0;
  let pooledObserved = 0;
  let pooledExpected = 0;
  for (const [v, pv] of p.entries()) {
    if (pv === 0) continue;
    const expected = n * pv;
    if (expected < 5) {
      pooledObserved += counts[v]!;
      pooledExpected += expected;
      continue;
    }
    value += (counts[v]! - expected) ** 2 / expected;
    cells++;
  }
  if (pooledExpected > 0) {
    value += (pooledObserved - pooledExpected) ** 2 / pooledExpected;
    cells++;
  }
  return { value, df: cells - 1 };
}

/** The 0.999 quantile of χ²(df) by the Wilson–Hilferty approximation (z = 3.09). */
function chiSquareCritical(df: number): number {
  const a = 2 / (9 * df);
  return df * (1 - a + 3.09 * Math.sqrt(a)) ** 3;
}
