/**
 * The native decoding loop (static KV cache, the TypeScript decode step recorded once and replayed by
 * the addon) against (a) the eager TypeScript loop over a growing cache, which it replaces, and (b)
 * the independent PyTorch reference (scripts/reference/gptneox_reference.py, float64): every token
 * must be the inverse-CDF choice of the reference's distribution for the same uniform, and the
 * returned log-probs must match the reference's. Also: the recording machinery on hand-checkable
 * steps, and the static cache's bytes against the memory plan's KV-cache line. MAXENT_TEST_DEVICE
 * (e.g. cuda) runs the generations there (the CUDA-graph path).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { allocateStaticCache, GPTNeoXForCausalLM, staticCacheBytes } from '../../src/models/gptneox/model.ts';
import { type GenerateOptions, type Generation, generate } from '../../src/models/sampling/generate.ts';
import { samplingNoise } from '../../src/models/sampling/sampling-noise.ts';
import {
  dispose,
  keep,
  liveTensors,
  resolveDevice,
  type Tensor,
  tensor,
  tidy,
} from '../../src/tensor/index.ts';
import { RecordedStep } from '../../src/tensor/recorded-step.ts';
import { memoryPlan } from '../../src/trainers/memory-plan.ts';
import {
  int64,
  maxAbsDiff,
  pythonTorchUnavailable,
  referenceLogits,
  tempDir,
  tinyConfig,
  wideRandomState,
} from './model-fixtures.ts';

const DEVICE = resolveDevice(process.env.MAXENT_TEST_DEVICE ?? 'cpu');
const config = tinyConfig();
const model = new GPTNeoXForCausalLM(
  config,
  new Map(
    [...wideRandomState(config, 'causal-lm', 41)].map(([k, t]) => [
      k,
      DEVICE === 'cpu' ? t : keep(t.to({ device: DEVICE })),
    ]),
  ),
);
const ROWS = [
  [0, 0, 0, 5, 6],
  [7, 8, 9, 10, 11],
  [0, 12, 13, 14, 15],
  [0, 0, 1, 2, 3],
];
const MASK = ROWS.map((r, i) => r.map((t, c) => (i === 1 || t !== 0 || c === 4 ? 1 : 0)));
const onDevice = (t: Tensor) => (DEVICE === 'cpu' ? t : t.to({ device: DEVICE }));
const prompts = () => ({ ids: onDevice(int64(ROWS)), mask: onDevice(int64(MASK)) });
const N = 12;
const noise = () =>
  samplingNoise(
    ROWS.map((_, i) => ({ seed: 5, step: 0, prompt: i, sample: 0 })),
    N,
    DEVICE,
  );

function both(opts: Partial<GenerateOptions>, input = prompts): { native: Generation; eager: Generation } {
  const base: GenerateOptions = { maxNewTokens: N, eosId: config.vocabSize, padId: 0, ...opts };
  if (!base.greedy) base.noise ??= noise();
  return {
    native: generate(model, input(), { ...base, decoder: 'native' }),
    eager: generate(model, input(), { ...base, decoder: 'eager' }),
  };
}

const FIELDS = ['policyLogProbs', 'samplingLogProbs', 'policyEntropy', 'samplingEntropy'] as const;

function expectSame(a: Generation, b: Generation, what: string): void {
  expect(a.tokens.shape, what).toEqual(b.tokens.shape);
  expect(a.tokens.toArray(), what).toEqual(b.tokens.toArray());
  expect(a.responseMask.toArray(), what).toEqual(b.responseMask.toArray());
  expect(a.endedWithEos.toArray(), what).toEqual(b.endedWithEos.toArray());
  for (const f of FIELDS)
    expect(maxAbsDiff(a[f].toArray(), b[f].toArray()), `${what} ${f}`).toBeLessThan(1e-5);
}

describe('the native decoding loop against the eager TypeScript loop', () => {
  it('gives the same tokens and scores for greedy, tempered, top-k and top-p sampling', () => {
    for (const opts of [
      { greedy: true },
      { temperature: 1 },
      { temperature: 1.4 },
      { temperature: 0.7, topK: 5 },
      { temperature: 1.2, topP: 0.8 },
      { temperature: 0.9, topK: 7, topP: 0.9 },
    ]) {
      tidy(() => {
        const { native, eager } = both(opts);
        expect(native.tokens.shape).toEqual([4, N]);
        expectSame(native, eager, JSON.stringify(opts));
      });
    }
  });

  it('scores each distribution with one fused op in the recorded step (no logsumexp/gather chain)', () => {
    const original = RecordedStep.record.bind(RecordedStep);
    const graphs: string[] = [];
    const spy = vi.spyOn(RecordedStep, 'record').mockImplementation((inputs, fn) => {
      const recorded = original(inputs, fn);
      graphs.push(recorded.step.graph());
      return recorded;
    });
    try {
      for (const [opts, fusedOps] of [
        [{ temperature: 1 }, 1], // the raw policy is also the sampled distribution: scored once
        [{ temperature: 0.7, topK: 5 }, 2], // the raw policy and the processed distribution
      ] as const) {
        graphs.length = 0;
        tidy(
          () =>
            void generate(model, prompts(), {
              maxNewTokens: N,
              eosId: config.vocabSize,
              padId: 0,
              noise: noise(),
              ...opts,
            }),
        );
        expect(graphs, JSON.stringify(opts)).toHaveLength(1);
        expect(graphs[0]!.match(/maxent_rlhf::token_scores/g), JSON.stringify(opts)).toHaveLength(fusedOps);
        expect(graphs[0]!, JSON.stringify(opts)).not.toMatch(/aten::logsumexp|aten::gather/);
      }
    } finally {
      spy.mockRestore();
    }
  });

  it('stops rows at EOS and the batch at the same step, for any row ending first', () => {
    // EOS ids the rows actually produce, so that rows end at different steps, and ids every row
    // produces, so that the whole batch stops early: four samples (their own noise) of one prompt
    // at a low temperature share tokens.
    const temperature = 0.3;
    const samePrompt = () => ({
      ids: onDevice(int64(ROWS.map(() => ROWS[1]!))),
      mask: onDevice(int64(ROWS.map(() => MASK[1]!))),
    });
    const free = tidy(() => both({ temperature }, samePrompt).eager.tokens.toArray());
    const rowTokens = ROWS.map((_, b) => new Set(free.slice(b * N, (b + 1) * N)));
    const inEveryRow = [...rowTokens[0]!].filter((t) => rowTokens.every((r) => r.has(t)));
    const candidates = [...new Set([...inEveryRow.slice(0, 3), ...new Set(free)].slice(0, 6))];
    let stoppedEarly = 0;
    for (const eosId of candidates) {
      tidy(() => {
        const { native, eager } = both({ temperature, eosId, padId: 49 }, samePrompt);
        expectSame(native, eager, `eos ${eosId}`);
        if (native.tokens.dim(1) < N) stoppedEarly++;
      });
    }
    expect(inEveryRow.length).toBeGreaterThan(0);
    expect(stoppedEarly).toBeGreaterThan(0);
  });

  it('handles one and two new tokens, chunked batches, and leaks no tensor', () => {
    const before = liveTensors();
    for (const opts of [{ maxNewTokens: 1 }, { maxNewTokens: 2 }, { maxNewTokens: 3 }, { batchSize: 3 }]) {
      tidy(() => {
        const { native, eager } = both({ temperature: 1.1, ...opts });
        expectSame(native, eager, JSON.stringify(opts));
      });
    }
    expect(liveTensors()).toBe(before);
  });
});

describe('the native decoding loop against the independent PyTorch reference', () => {
  const unavailable = pythonTorchUnavailable();
  let dir: { path: string; remove: () => Promise<void> };
  beforeAll(async () => {
    dir = await tempDir('maxent-recorded-decode-');
    await model.save(dir.path);
  });
  afterAll(async () => dir?.remove());

  it.skipIf(unavailable !== null)(
    'samples each token by inverse CDF of the reference distribution and returns its log-probs',
    async () => {
      const temperature = 1.3;
      const topK = 9;
      const g = generate(model, prompts(), {
        maxNewTokens: N,
        eosId: config.vocabSize,
        padId: 0,
        temperature,
        topK,
        noise: noise(),
      });
      const tokens = g.tokens.toArray();
      const u = noise().toArray();
      const R = g.tokens.dim(1);
      const full = ROWS.map((r, b) => [...r, ...tokens.slice(b * R, (b + 1) * R)]);
      const fullMask = MASK.map((m) => [...m, ...new Array<number>(R).fill(1)]);
      const [ref] = await referenceLogits(
        [{ snapshot: dir.path, inputIds: full, attentionMask: fullMask }],
        dir.path,
      );
      const V = config.vocabSize;
      const T = full[0]!.length;
      const policy = g.policyLogProbs.toArray();
      const sampling = g.samplingLogProbs.toArray();
      let worst = 0;
      for (let b = 0; b < ROWS.length; b++) {
        for (let t = 0; t < R; t++) {
          // The reference's logits at the position predicting new token t (float64).
          const at = (b * T + ROWS[0]!.length - 1 + t) * V;
          const z = ref!.logits.slice(at, at + V);
          const raw = logSoftmax(z);
          // Temperature, then top-k (ties at the k-th value kept, as keepTopK), then inverse CDF.
          const zt = z.map((v) => v / temperature);
          const kth = [...zt].sort((x, y) => y - x)[topK - 1]!;
          const kept = zt.map((v) => (v >= kth ? v : Number.NEGATIVE_INFINITY));
          const q = logSoftmax(kept);
          const probs = q.map(Math.exp);
          const total = probs.reduce((s, p) => s + p, 0);
          const target = u[b * N + t]! * total;
          let cumulative = 0;
          let expected = 0;
          for (let v = 0; v < V; v++) {
            cumulative += probs[v]!;
            if (cumulative > target) {
              expected = v;
              break;
            }
          }
          const token = tokens[b * R + t]!;
          expect(token, `row ${b} token ${t}`).toBe(expected);
          worst = Math.max(
            worst,
            Math.abs(policy[b * R + t]! - raw[token]!),
            Math.abs(sampling[b * R + t]! - q[token]!),
          );
        }
      }
      expect(worst).toBeLessThan(1e-5);
    },
  );
});

function logSoftmax(z: number[]): number[] {
  const m = Math.max(...z);
  const lse = m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0));
  return z.map((v) => v - lse);
}

describe('recorded steps', () => {
  it('replays a step on new inputs, loops carried state and stops at the first true flag', () => {
    tidy(() => {
      const scale = tensor([10], { dtype: 'float32' });
      // carried x → x + 1; collected x · scale; stop once x + 1 ≥ 5 (scale is a fixed input).
      const { step, outputs } = RecordedStep.record([tensor([1], { dtype: 'float32' }), scale], ([x, s]) => {
        const next = x!.add(1);
        return [next, x!.mul(s!), next.ge(5).all()];
      });
      try {
        expect(outputs[0]!.toArray()).toEqual([2]);
        expect(outputs[1]!.toArray()).toEqual([10]);
        expect(step.run([tensor([7], { dtype: 'float32' }), scale])[1]!.toArray()).toEqual([70]);
        for (const checkEvery of [1, 2, 3, 10]) {
          const r = step.loop([tensor([2], { dtype: 'float32' })], [scale], {
            maxSteps: 8,
            checkEvery,
            stackDim: 0,
          });
          // x = 2, 3, 4: the flag is true after x = 4 (next = 5), so three steps are kept.
          expect(r.steps, `checkEvery ${checkEvery}`).toBe(3);
          expect(r.collected[0]!.toArray()).toEqual([20, 30, 40]);
        }
        const capped = step.loop([tensor([-10], { dtype: 'float32' })], [scale], {
          maxSteps: 4,
          checkEvery: 3,
          stackDim: 0,
        });
        expect(capped.steps).toBe(4);
        expect(capped.collected[0]!.toArray()).toEqual([-100, -90, -80, -70]);
      } finally {
        step.dispose();
      }
    });
  });

  it('refuses a step that reads a tensor written from JavaScript while recording', () => {
    tidy(() => {
      expect(() =>
        RecordedStep.record([tensor([1], { dtype: 'float32' })], ([x]) => [
          x!.add(tensor([2], { dtype: 'float32' })),
        ]),
      ).toThrow(/created from JavaScript data while recording/);
      // The tracer is closed again: a new recording works.
      const { step } = RecordedStep.record([tensor([1], { dtype: 'float32' })], ([x]) => [x!.mul(3)]);
      expect(step.run([tensor([2], { dtype: 'float32' })])[0]!.toArray()).toEqual([6]);
      step.dispose();
    });
  });

  it('closes the trace when the recorded function throws', () => {
    tidy(() => {
      expect(() =>
        RecordedStep.record([tensor([1], { dtype: 'float32' })], () => {
          throw new Error('boom');
        }),
      ).toThrow('boom');
      const { step } = RecordedStep.record([tensor([1], { dtype: 'float32' })], ([x]) => [x!.add(1)]);
      expect(step.run([tensor([4], { dtype: 'float32' })])[0]!.toArray()).toEqual([5]);
      step.dispose();
    });
  });
});

describe('the static KV cache', () => {
  it("holds exactly the bytes of the memory plan's KV-cache line", () => {
    const rows = 6;
    const promptTokens = 7;
    const responseTokens = 5;
    const cache = allocateStaticCache(config, rows, promptTokens + responseTokens, {
      dtype: 'float32',
      device: 'cpu',
    });
    // Both views of every layer share one buffer: count its bytes once, from the shapes.
    const [L, H, S, D] = [cache.length, cache[0]!.key.dim(1), cache[0]!.key.dim(2), cache[0]!.key.dim(3)];
    const allocated = L * 2 * rows * H * S * D * 4;
    dispose(cache as unknown as Tensor[]);
    expect(allocated).toBe(staticCacheBytes(config, rows, promptTokens + responseTokens, 4));
    const plan = memoryPlan(
      {
        kind: 'rl',
        dtype: 'float32',
        promptTokens,
        responseTokens,
        batchRows: rows,
        minibatchRows: rows,
        microBatchSize: null,
        generationBatchSize: null,
        scoreBatchSize: null,
        reference: false,
        valueHead: false,
        snapshot: false,
      },
      { policy: config },
    );
    const line = plan.phases
      .find((p) => p.name === 'generation')!
      .components.find((c) => c.name === 'KV cache')!;
    expect(line.bytes).toBe(allocated);
    // By hand: keys and values × 2 layers × 6 rows × 12 positions × hidden 32 × 4 B.
    expect(allocated).toBe(2 * 2 * 6 * 12 * 32 * 4);
  });
});
