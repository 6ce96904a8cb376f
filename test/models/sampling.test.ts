/**
 * Generation: the KV cache changes nothing, seeds reproduce, top-k = 1 is greedy, EOS stops a row
 * and pads the rest, the returned log-probs are those of the raw policy and of the sampled
 * distribution (checked by rescoring), and the top-k / top-p filters against hand-worked cases.
 */
import { describe, expect, it } from 'vitest';
import { GPTNeoXForCausalLM, responseLogProbs } from '../../src/models/gptneox/model.ts';
import { type GenerateOptions, type Generation, generate } from '../../src/models/sampling/generate.ts';
import { keepTopK, keepTopP, processLogits } from '../../src/models/sampling/logits-processing.ts';
import { cat, dispose, Generator, liveTensors, noGrad, tensor } from '../../src/tensor/index.ts';
import { int64, maxAbsDiff, tinyConfig, wideRandomState } from './model-fixtures.ts';

const config = tinyConfig();
const model = new GPTNeoXForCausalLM(config, wideRandomState(config, 'causal-lm', 21));
const NEVER = config.vocabSize; // an EOS id the model cannot produce
const prompts = {
  ids: int64([
    [0, 0, 0, 5, 6],
    [7, 8, 9, 10, 11],
    [0, 12, 13, 14, 15],
  ]),
  mask: int64([
    [0, 0, 0, 1, 1],
    [1, 1, 1, 1, 1],
    [0, 1, 1, 1, 1],
  ]),
};

function run(opts: Partial<GenerateOptions> & { seed?: number }): Generation {
  const { seed, ...rest } = opts;
  return generate(model, prompts, {
    maxNewTokens: 10,
    eosId: NEVER,
    padId: 0,
    temperature: 1.5,
    gen: new Generator(seed ?? 0),
    ...rest,
  });
}

const ids = (g: Generation) => g.tokens.toArray();

describe('generation', () => {
  it('returns [B, R] results', () => {
    const g = run({ seed: 1 });
    for (const t of [
      g.tokens,
      g.responseMask,
      g.policyLogProbs,
      g.samplingLogProbs,
      g.policyEntropy,
      g.samplingEntropy,
    ]) {
      expect(t.shape).toEqual([3, 10]);
    }
    expect(g.tokens.dtype).toBe('int64');
    expect(g.responseMask.toArray().every((v) => v === 1)).toBe(true);
    expect(g.endedWithEos.toArray()).toEqual([0, 0, 0]);
  });

  it('gives the same tokens and log-probs with and without the KV cache', () => {
    for (const opts of [{ greedy: true }, { seed: 3 }, { seed: 4, topK: 5, topP: 0.9 }]) {
      const cached = run(opts);
      const uncached = run({ ...opts, uncached: true });
      expect(ids(cached), JSON.stringify(opts)).toEqual(ids(uncached));
      expect(maxAbsDiff(cached.policyLogProbs.toArray(), uncached.policyLogProbs.toArray())).toBeLessThan(
        1e-5,
      );
    }
  });

  it('is reproducible with a seed and differs with another', () => {
    expect(ids(run({ seed: 5 }))).toEqual(ids(run({ seed: 5 })));
    expect(ids(run({ seed: 5 }))).not.toEqual(ids(run({ seed: 6 })));
  });

  it('top-k = 1 equals greedy decoding', () => {
    const greedy = run({ greedy: true });
    expect(ids(run({ topK: 1, seed: 8 }))).toEqual(ids(greedy));
    expect(greedy.samplingLogProbs.abs().sum().item()).toBe(0);
    expect(greedy.samplingEntropy.abs().sum().item()).toBe(0);
  });

  it('stops a row at EOS and pads after it; stops the batch when every row ended', () => {
    const free = ids(run({ greedy: true }));
    const eos = free[0 * 10 + 2]!; // row 0's third token
    const g = run({ greedy: true, eosId: eos, padId: 49 });
    const tokens = ids(g);
    const mask = g.responseMask.toArray();
    const R = g.tokens.dim(1);
    const firstEos = (row: number) => free.slice(row * 10, row * 10 + 10).indexOf(eos);
    for (let row = 0; row < 3; row++) {
      const stop = firstEos(row);
      const end = stop === -1 ? R : stop + 1;
      for (let t = 0; t < R; t++) {
        expect(tokens[row * R + t], `row ${row} t ${t}`).toBe(t < end ? free[row * 10 + t] : 49);
        expect(mask[row * R + t]).toBe(t < end ? 1 : 0);
        if (t >= end) expect(g.policyLogProbs.toArray()[row * R + t]).toBe(0);
      }
    }
    expect(g.endedWithEos.toArray()[0]).toBe(1);
    // Greedy continuation is deterministic, so R < 10 exactly when every row met EOS.
    const allEnd = [0, 1, 2].every((row) => firstEos(row) !== -1);
    expect(R < 10).toBe(allEnd);
    const single = generate(
      model,
      { ids: int64([[5, 6]]), mask: int64([[1, 1]]) },
      { greedy: true, maxNewTokens: 10, eosId: free[0]!, padId: 0 },
    );
    expect(single.tokens.shape).toEqual([1, 1]);
  });

  it('returns the raw policy’s log-probs and the sampled distribution’s, as rescoring finds them', () => {
    const temperature = 0.8;
    const g = run({ seed: 9, temperature });
    const all = cat([prompts.ids, g.tokens], 1);
    const mask = cat([prompts.mask, g.responseMask.long()], 1);
    const raw = noGrad(() => responseLogProbs(model, all, mask, 5, { entropy: true }));
    const tempered = noGrad(() => responseLogProbs(model, all, mask, 5, { temperature }));
    expect(maxAbsDiff(g.policyLogProbs.toArray(), raw.logProbs.toArray())).toBeLessThan(1e-5);
    expect(maxAbsDiff(g.samplingLogProbs.toArray(), tempered.logProbs.toArray())).toBeLessThan(1e-5);
    expect(maxAbsDiff(g.policyEntropy.toArray(), raw.entropy!.toArray())).toBeLessThan(1e-5);
    expect(maxAbsDiff(g.policyLogProbs.toArray(), g.samplingLogProbs.toArray())).toBeGreaterThan(1e-2);
  });

  it('samples only tokens top-k keeps, and scores them under the filtered distribution', () => {
    const k = 3;
    const temperature = 1.5;
    const g = run({ seed: 10, topK: k, temperature });
    const all = cat([prompts.ids, g.tokens], 1);
    const logits = noGrad(() => model.logits(all, cat([prompts.mask, g.responseMask.long()], 1)));
    const R = g.tokens.dim(1);
    const tokens = ids(g);
    const sampling = g.samplingLogProbs.toArray();
    for (let row = 0; row < 3; row++) {
      for (let t = 0; t < R; t++) {
        const z = logits
          .select(0, row)
          .select(0, 4 + t)
          .toArray()
          .map((v) => v / temperature);
        const top = [...z].sort((a, b) => b - a).slice(0, k);
        const chosen = z[tokens[row * R + t]!]!;
        expect(chosen).toBeGreaterThanOrEqual(top[k - 1]!);
        const expected = chosen - Math.log(top.reduce((s, v) => s + Math.exp(v), 0));
        expect(sampling[row * R + t]).toBeCloseTo(expected, 4);
      }
    }
    expect(g.samplingEntropy.toArray().every((h) => h <= Math.log(k) + 1e-6)).toBe(true);
  });

  it('frees everything but its results, cached or not', () => {
    for (const uncached of [false, true]) {
      const before = liveTensors();
      dispose(run({ seed: 11, topP: 0.9, uncached }));
      expect(liveTensors()).toBe(before);
    }
  });

  it('rejects bad prompts and settings', () => {
    const right = { ids: int64([[5, 6, 0]]), mask: int64([[1, 1, 0]]) };
    expect(() => generate(model, right, { greedy: true, maxNewTokens: 2, eosId: 0, padId: 0 })).toThrow(
      /left-padded/,
    );
    expect(() => run({ temperature: 0 })).toThrow(/temperature must be a positive number/);
    expect(() => run({ topP: 1.5 })).toThrow(/topP must be in \(0, 1\]/);
    expect(() => generate(model, prompts, { maxNewTokens: 2, eosId: 0, padId: 0 })).toThrow(
      /seeded Generator/,
    );
  });
});

describe('logits filters', () => {
  const inf = Number.NEGATIVE_INFINITY;

  it('top-k keeps the k largest logits', () => {
    expect(keepTopK(tensor([[1, 4, 2, 3]]), 2).toArray()).toEqual([inf, 4, inf, 3]);
    expect(keepTopK(tensor([[1, 4, 2, 3]]), 9).toArray()).toEqual([1, 4, 2, 3]);
  });

  it('top-p keeps the smallest most-likely set reaching p', () => {
    const logits = tensor([[0.15, 0.5, 0.05, 0.3].map(Math.log)]);
    const kept = (p: number) =>
      keepTopP(logits, p)
        .toArray()
        .map((v) => v !== inf);
    expect(kept(0.75)).toEqual([false, true, false, true]); // 0.5 + 0.3 ≥ 0.75
    expect(kept(0.4)).toEqual([false, true, false, false]); // the top token alone reaches 0.4
    expect(kept(0.85)).toEqual([true, true, false, true]);
    expect(kept(1)).toEqual([true, true, true, true]);
  });

  it('applies temperature before top-p (HF order)', () => {
    // At T = 0.5 the probabilities sharpen to ≈ [0.07, 0.71, 0.01, 0.21]: 0.8 is reached by two tokens.
    const logits = tensor([[0.15, 0.5, 0.05, 0.3].map(Math.log)]);
    const z = processLogits(logits, { temperature: 0.5, topP: 0.8 }).toArray();
    expect(z.map((v) => v !== inf)).toEqual([false, true, false, true]);
    expect(z[1]).toBeCloseTo(Math.log(0.5) / 0.5, 5);
  });
});
