/**
 * Our Llama / Qwen2 forward against an independent from-scratch implementation written from the
 * published architecture (scripts/reference/llama_reference.py, plain PyTorch, float64), run on
 * snapshots written by our own saver: logits agree to 1e-4 in float32 (the GPT-NeoX tolerance), and
 * greedy decoding — through the static-cache native loop and the eager cached loop — picks the same
 * tokens as the reference recomputing every step. Cases cover grouped-query and multi-head attention,
 * tied and untied heads, Llama's attention/MLP biases, Qwen2's q/k/v biases, each rope_scaling type,
 * left padding and a sharded snapshot. The reward head is checked against the same reference: a score
 * row equal to an LM-head row must read that logit at the last real token.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCausalLM, loadRewardModel } from '../../src/models/checkpoint/load-model.ts';
import { allocateStaticCache, staticCacheBytes } from '../../src/models/gptneox/model.ts';
import type { StateDict } from '../../src/models/gptneox/parameter-layout.ts';
import { type LlamaConfig, llamaShapesFor } from '../../src/models/llama/config.ts';
import { LlamaForCausalLM, LlamaRewardModel } from '../../src/models/llama/model.ts';
import { generate } from '../../src/models/sampling/generate.ts';
import { dispose, Generator, keep, noGrad, randn, type Tensor, tidy } from '../../src/tensor/index.ts';
import {
  int64,
  LLAMA_REFERENCE_SCRIPT,
  maxAbsDiff,
  pythonTorchUnavailable,
  type ReferenceJob,
  type ReferenceLogits,
  randomIds,
  referenceLogits,
  tempDir,
} from './model-fixtures.ts';

const unavailable = pythonTorchUnavailable();
if (unavailable) console.warn(`skipping the Python reference comparison: ${unavailable}`);

const TOLERANCE = 1e-4;
const GREEDY_TOKENS = 6;

/** hidden 32, 4 query heads of 8 sharing 2 key/value heads, 2 layers, vocab 50. */
function llamaConfig(overrides: Partial<LlamaConfig> = {}): LlamaConfig {
  return {
    modelType: 'llama',
    vocabSize: 50,
    hiddenSize: 32,
    numHiddenLayers: 2,
    numAttentionHeads: 4,
    numKeyValueHeads: 2,
    headDim: 8,
    intermediateSize: 48,
    rmsNormEps: 1e-5,
    ropeTheta: 10000,
    ropeScaling: null,
    qkvBias: false,
    outputBias: false,
    mlpBias: false,
    maxPositionEmbeddings: 128,
    tieWordEmbeddings: false,
    initializerRange: 0.02,
    bosTokenId: 0,
    eosTokenId: 0,
    padTokenId: null,
    ...overrides,
  };
}

/** Weights wide enough that every parameter visibly moves the logits (as wideRandomState for GPT-NeoX). */
function wideLlamaState(config: LlamaConfig, kind: 'causal-lm' | 'reward-model', seed: number): StateDict {
  const gen = new Generator(seed);
  const state: StateDict = new Map();
  for (const [name, shape] of llamaShapesFor(kind, config)) {
    const t = tidy(() => {
      const z = randn(shape, gen);
      if (/(layernorm|\.norm)\.weight$/.test(name)) return z.mul(0.2).add(1);
      if (name.endsWith('.bias')) return z.mul(0.1);
      if (name.endsWith('embed_tokens.weight')) return z;
      return z.mul(1 / Math.sqrt(shape[1] ?? 1));
    });
    state.set(name, keep(t));
  }
  return state;
}

interface Case {
  name: string;
  config: LlamaConfig;
  maxShardBytes?: number;
  ids: number[][];
  mask?: number[][];
}

const [a, b] = randomIds(2, 8, 50, 7) as [number[], number[]];
const CASES: Case[] = [
  {
    name: 'llama: grouped-query (4 heads, 2 kv), untied',
    config: llamaConfig(),
    ids: randomIds(3, 9, 50, 200),
  },
  {
    name: 'llama: multi-head, tied, attention and MLP biases, sharded',
    config: llamaConfig({
      numKeyValueHeads: 4,
      tieWordEmbeddings: true,
      qkvBias: true,
      outputBias: true,
      mlpBias: true,
    }),
    maxShardBytes: 20_000,
    ids: randomIds(3, 9, 50, 201),
  },
  {
    name: 'llama: multi-query (1 kv head), head_dim 16 ≠ hidden/heads, rope linear ×4',
    config: llamaConfig({ numKeyValueHeads: 1, headDim: 16, ropeScaling: { type: 'linear', factor: 4 } }),
    ids: randomIds(2, 12, 50, 202),
  },
  {
    name: 'llama: rope llama3 (low, blended and high frequencies), θ 5e5',
    config: llamaConfig({
      headDim: 16,
      ropeTheta: 500000,
      ropeScaling: {
        type: 'llama3',
        factor: 8,
        lowFreqFactor: 1,
        highFreqFactor: 4,
        originalMaxPositionEmbeddings: 64,
      },
    }),
    ids: randomIds(2, 12, 50, 203),
  },
  {
    name: 'llama: rope dynamic within max_position_embeddings',
    config: llamaConfig({ ropeScaling: { type: 'dynamic', factor: 2 } }),
    ids: randomIds(2, 9, 50, 204),
  },
  {
    name: 'qwen2: q/k/v biases, tied, θ 1e6, left-padded rows',
    config: llamaConfig({
      modelType: 'qwen2',
      qkvBias: true,
      tieWordEmbeddings: true,
      ropeTheta: 1e6,
      rmsNormEps: 1e-6,
    }),
    ids: [a, [0, 0, 0, ...b.slice(3)]],
    mask: [a.map(() => 1), [0, 0, 0, 1, 1, 1, 1, 1]],
  },
  {
    name: 'qwen2: grouped-query, untied',
    config: llamaConfig({ modelType: 'qwen2', qkvBias: true, ropeTheta: 1e6 }),
    ids: randomIds(3, 9, 50, 205),
  },
];

const ones = (ids: number[][]) => ids.map((r) => r.map(() => 1));

/** The logits (flat [B, T, V]) of the positions whose mask is 1. */
function atRealTokens(flat: number[], mask: number[][], vocab: number): number[] {
  const T = mask[0]!.length;
  return flat.filter((_, k) => mask[Math.floor(k / (T * vocab))]![Math.floor(k / vocab) % T] === 1);
}

describe.skipIf(unavailable !== null)('Llama / Qwen2 logits match the independent PyTorch reference', () => {
  let root: Awaited<ReturnType<typeof tempDir>>;
  const states: StateDict[] = [];
  let reference: ReferenceLogits[] = [];

  beforeAll(async () => {
    root = await tempDir('llama-reference-');
    const jobs: ReferenceJob[] = [];
    for (const [i, c] of CASES.entries()) {
      const snapshot = join(root.path, `case-${i}`);
      const state = wideLlamaState(c.config, 'causal-lm', 30 + i);
      await new LlamaForCausalLM(c.config, state).save(snapshot, { maxShardBytes: c.maxShardBytes });
      states.push(state);
      jobs.push({ snapshot, inputIds: c.ids, attentionMask: c.mask, greedyNewTokens: GREEDY_TOKENS });
    }
    reference = await referenceLogits(jobs, root.path, LLAMA_REFERENCE_SCRIPT);
  });
  afterAll(() => root.remove());

  for (const [i, c] of CASES.entries()) {
    it(c.name, async () => {
      const model = await loadCausalLM(join(root.path, `case-${i}`));
      expect(model).toBeInstanceOf(LlamaForCausalLM);
      const mask = c.mask ?? ones(c.ids);
      const ours = noGrad(() => model.logits(int64(c.ids), int64(mask)));
      const ref = reference[i]!;
      expect(ours.shape).toEqual(ref.shape);
      const V = c.config.vocabSize;
      const diff = maxAbsDiff(atRealTokens(ours.toArray(), mask, V), atRealTokens(ref.logits, mask, V));
      console.log(`${c.name}: max |logit − reference| = ${diff.toExponential(2)}`);
      expect(diff).toBeLessThan(TOLERANCE);
      expect(Math.max(...ref.logits.map(Math.abs))).toBeGreaterThan(1);

      // Greedy continuation: the native static-cache loop and the eager cached loop.
      for (const decoder of ['native', 'eager'] as const) {
        const out = noGrad(() =>
          generate(
            model,
            { ids: int64(c.ids), mask: int64(mask) },
            { maxNewTokens: GREEDY_TOKENS, greedy: true, eosId: -1, padId: 0, decoder },
          ),
        );
        expect(out.tokens.tolist(), decoder).toEqual(ref.greedy);
      }
      model.dispose();
    });
  }

  it('the comparison detects wrong grouping, θ, rope scaling or a missing q/k/v bias', () => {
    const check = (i: number, wrong: Partial<LlamaConfig>, state?: StateDict) => {
      const c = CASES[i]!;
      const model = new LlamaForCausalLM({ ...c.config, ...wrong }, state ?? states[i]!);
      const mask = c.mask ?? ones(c.ids);
      const logits = noGrad(() => model.logits(int64(c.ids), int64(mask)));
      const V = c.config.vocabSize;
      const diff = maxAbsDiff(
        atRealTokens(logits.toArray(), mask, V),
        atRealTokens(reference[i]!.logits, mask, V),
      );
      expect(diff, JSON.stringify(wrong)).toBeGreaterThan(100 * TOLERANCE);
    };
    check(0, { ropeTheta: 20000 });
    check(2, { ropeScaling: null });
    check(3, { ropeScaling: { type: 'linear', factor: 8 } });
    // The same k/v weights read as 4 heads of width 4 instead of 2 of 8 is a different model;
    // here: the grouped k/v heads served in the wrong order (interleaved instead of blocks).
    const swapped = new Map(states[0]!);
    for (let l = 0; l < 2; l++)
      for (const proj of ['k_proj', 'v_proj']) {
        const name = `model.layers.${l}.self_attn.${proj}.weight`;
        const w = states[0]!.get(name)!;
        swapped.set(name, keep(tidy(() => w.view(2, 8, 32).flip(0).reshape(16, 32))));
      }
    check(0, {}, swapped);
    const noBias = new Map([...states[6]!].filter(([name]) => !/\.(q|k|v)_proj\.bias$/.test(name)));
    check(6, { qkvBias: false }, noBias);
  });

  it('in bfloat16 the logits stay within bfloat16 rounding of the reference', async () => {
    const c = CASES[0]!;
    const model = await loadCausalLM(join(root.path, 'case-0'), { dtype: 'bfloat16' });
    const ours = noGrad(() => model.logits(int64(c.ids), int64(ones(c.ids))).float()).toArray();
    const scale = Math.max(...reference[0]!.logits.map(Math.abs));
    const relative = maxAbsDiff(ours, reference[0]!.logits) / scale;
    console.log(`bfloat16: max |logit − reference| / max |logit| = ${relative.toExponential(2)}`);
    expect(relative).toBeLessThan(0.05); // 8 mantissa bits through 2 layers
    model.dispose();
  });

  it('the reward head reads the last real token: score = an LM-head row gives that logit', async () => {
    const i = CASES.findIndex((c) => c.mask !== undefined);
    const c = CASES[i]!;
    const lm = await loadCausalLM(join(root.path, `case-${i}`));
    const state: StateDict = new Map([...lm.parameters()].filter(([n]) => n !== 'lm_head.weight'));
    const token = 17;
    const headRow = lm.parameters().get('model.embed_tokens.weight')!; // qwen2 case: tied
    state.set('score.weight', keep(tidy(() => headRow.narrow(0, token, 1).clone())));
    const rm = new LlamaRewardModel(c.config, state);
    const rewards = noGrad(() => rm.rewards(int64(c.ids), int64(c.mask!))).toArray();
    const T = c.ids[0]!.length;
    const V = c.config.vocabSize;
    const expected = c.ids.map((_, row) => reference[i]!.logits[(row * T + (T - 1)) * V + token]!);
    expect(maxAbsDiff(rewards, expected)).toBeLessThan(TOLERANCE);

    // Saved and loaded as Qwen2ForSequenceClassification, the rewards are unchanged.
    const dir = join(root.path, 'reward');
    await rm.save(dir);
    const loaded = await loadRewardModel(dir);
    expect(loaded).toBeInstanceOf(LlamaRewardModel);
    expect((loaded as LlamaRewardModel).architecture).toBe('Qwen2ForSequenceClassification');
    const again = noGrad(() => loaded.rewards(int64(c.ids), int64(c.mask!))).toArray();
    expect(maxAbsDiff(again, rewards)).toBe(0);
  });
});

describe('the static KV cache of a grouped-query model', () => {
  it('holds the key/value heads only, as many bytes as the memory plan counts', () => {
    const config = llamaConfig(); // 2 layers, 2 key/value heads of 8 (4 query heads)
    const [rows, length] = [3, 11];
    const cache = allocateStaticCache(config, rows, length, { dtype: 'float32', device: 'cpu' });
    expect(cache).toHaveLength(2);
    expect(cache[0]!.key.shape).toEqual([rows, 2, length, 8]);
    dispose(cache as unknown as Tensor[]);
    // keys and values × 2 layers × rows × positions × 2 heads × 8 dims × 4 bytes
    expect(staticCacheBytes(config, rows, length, 4)).toBe(2 * 2 * rows * length * 2 * 8 * 4);
  });
});

describe('the linear layers by HF module name (what LoRA attaches to)', () => {
  it('are every weight matrix of the layers, by its state-dict name, the very tensors forward uses', () => {
    const config = llamaConfig({ modelType: 'qwen2', qkvBias: true });
    const model = new LlamaForCausalLM(config, wideLlamaState(config, 'causal-lm', 3));
    const linears = model.namedLinears();
    const params = model.parameters();
    const expected = [...params.keys()]
      .filter((n) => /\.(q|k|v|o|gate|up|down)_proj\.weight$/.test(n))
      .map((n) => n.slice(0, -'.weight'.length));
    expect([...linears.keys()].sort()).toEqual(expected.sort());
    expect(linears.size).toBe(2 * 7);
    for (const [name, linear] of linears) {
      expect(linear.weight).toBe(params.get(`${name}.weight`));
      expect(linear.bias).toBe(params.get(`${name}.bias`) ?? null);
    }
    expect(model.modelType).toBe('qwen2');
    model.dispose();
  });
});
