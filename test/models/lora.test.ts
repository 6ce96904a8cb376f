/**
 * LoRA adapters on GPT-NeoX's named linears, against hand-derived values: a fresh adapter (B = 0)
 * leaves the logits exactly unchanged; with non-zero B the adapted model equals a plain model whose
 * weights are W + (α/r)·B·A computed in float64 by hand; switched off, the base logits come back;
 * gradients reach A and B only, and match central finite differences (float64 model); the merged
 * state dict holds W + (α/r)·B·A; A starts in PEFT's Kaiming-uniform bound 1/√in.
 */
import { describe, expect, it } from 'vitest';
import { GPTNeoXForCausalLM } from '../../src/models/gptneox/model.ts';
import type { StateDict } from '../../src/models/gptneox/parameter-layout.ts';
import { llamaNamedConfig } from '../../src/models/llama/config.ts';
import {
  type AdapterConfig,
  LORA_DEFAULTS,
  LoraAdapters,
  type LoraSettings,
  loraScaling,
  mergeAdapter,
} from '../../src/models/lora/index.ts';
import { causalLMFor, initModelStateDict } from '../../src/models/model-family.ts';
import { Generator, keep, noGrad, randn, type Tensor, tensor, tidy } from '../../src/tensor/index.ts';
import { int64, maxAbsDiff, randomIds, tinyConfig, wideRandomState } from './model-fixtures.ts';

const config = tinyConfig();
const ids = () => int64(randomIds(2, 7, config.vocabSize, 5));
const mask = () =>
  tensor(
    [
      [1, 1, 1, 1, 1, 1, 1],
      [0, 0, 1, 1, 1, 1, 1],
    ],
    { dtype: 'int64' },
  );
const settings = (o: Partial<LoraSettings> = {}): LoraSettings => ({
  ...LORA_DEFAULTS,
  r: 4,
  alpha: 8,
  targetModules: ['query_key_value', 'dense', 'dense_h_to_4h', 'dense_4h_to_h'],
  ...o,
});

function model(dtype: 'float32' | 'float64' = 'float32', seed = 3): GPTNeoXForCausalLM {
  const state = wideRandomState(config, 'causal-lm', seed);
  if (dtype === 'float64') for (const [k, t] of state) state.set(k, keep(t.to('float64')));
  return new GPTNeoXForCausalLM(config, state);
}

const logitsOf = (m: GPTNeoXForCausalLM) => noGrad(() => m.logits(ids(), mask()).toArray());

/** Gives every B (and A) fresh N(0, 0.3²) values so the adapters visibly change the model. */
function randomizeFactors(lora: LoraAdapters, seed: number): void {
  const gen = new Generator(seed);
  noGrad(() => {
    for (const t of lora.parameters().values()) tidy(() => t.copy_(randn(t.shape, gen).mul(0.3)));
  });
}

/** W + s·B·A in plain float64 JS, row-major [out, in]. */
function mergedByHand(w: Tensor, a: Tensor, b: Tensor, s: number): number[] {
  const [out, inp] = w.shape as [number, number];
  const r = a.dim(0);
  const W = w.toArray();
  const A = a.toArray();
  const B = b.toArray();
  const merged = new Array<number>(out * inp);
  for (let o = 0; o < out; o++)
    for (let i = 0; i < inp; i++) {
      let d = 0;
      for (let k = 0; k < r; k++) d += B[o * r + k]! * A[k * inp + i]!;
      merged[o * inp + i] = W[o * inp + i]! + s * d;
    }
  return merged;
}

describe('LoRA adapters', () => {
  it('start with A ~ U(−1/√in, 1/√in) and B = 0, which leaves the logits exactly unchanged', () => {
    const m = model();
    const before = logitsOf(m);
    const lora = LoraAdapters.attach(m, settings(), { gen: new Generator(1) });
    const p = lora.parameters();
    expect(p.size).toBe(2 * 4 * config.numHiddenLayers);
    const a = p.get('base_model.model.gpt_neox.layers.0.mlp.dense_4h_to_h.lora_A.weight')!;
    expect(a.shape).toEqual([4, config.intermediateSize]);
    const bound = 1 / Math.sqrt(config.intermediateSize);
    const values = a.toArray();
    expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(bound);
    // Uniform on (−bound, bound): the sample spreads over the interval, not a narrow normal.
    expect(Math.max(...values)).toBeGreaterThan(0.8 * bound);
    expect(Math.min(...values)).toBeLessThan(-0.8 * bound);
    expect(
      p.get('base_model.model.gpt_neox.layers.1.attention.query_key_value.lora_B.weight')!.toArray(),
    ).toEqual(new Array(3 * config.hiddenSize * 4).fill(0));
    expect(logitsOf(m)).toEqual(before);
    lora.detach();
    m.dispose();
  });

  it('with non-zero B equal a plain model of weights W + (α/r)·B·A (float64 by hand); disabled, the base', () => {
    const m = model();
    const base = logitsOf(m);
    const lora = LoraAdapters.attach(m, settings(), { gen: new Generator(1) });
    randomizeFactors(lora, 9);
    const adapted = logitsOf(m);
    expect(maxAbsDiff(adapted, base)).toBeGreaterThan(1e-2);
    expect(lora.withDisabled(() => logitsOf(m))).toEqual(base);
    expect(lora.enabled).toBe(true);
    // The same model with merged weights, built by hand.
    const s = loraScaling(settings());
    expect(s).toBe(2);
    const state: StateDict = new Map();
    for (const [name, t] of m.parameters()) state.set(name, t);
    const linears = m.namedLinears();
    const merged: StateDict = new Map(
      [...state].map(([name, t]) => {
        const module = name.replace(/\.weight$/, '');
        const p = lora.parameters();
        const a = p.get(`base_model.model.${module}.lora_A.weight`);
        if (!name.endsWith('.weight') || !linears.has(module) || !a) return [name, keep(t.clone())];
        const b = p.get(`base_model.model.${module}.lora_B.weight`)!;
        return [name, keep(tensor(mergedByHand(t, a, b, s)).reshape(...t.shape))];
      }),
    );
    const plain = new GPTNeoXForCausalLM(config, merged);
    expect(maxAbsDiff(logitsOf(plain), adapted)).toBeLessThan(1e-4);
    plain.dispose();
    lora.detach();
    expect(logitsOf(m)).toEqual(base);
    m.dispose();
  });

  it('mergeAdapter folds W + (α/r)·B·A into a state dict (rsLoRA: α/√r), and the score head of modules_to_save', () => {
    for (const useRslora of [false, true]) {
      const m = model();
      const lora = LoraAdapters.attach(m, settings({ useRslora }), { gen: new Generator(1) });
      randomizeFactors(lora, 4);
      const s = useRslora ? 8 / 2 : 8 / 4;
      const name = 'gpt_neox.layers.1.attention.dense';
      const p = lora.parameters();
      const expected = mergedByHand(
        m.parameters().get(`${name}.weight`)!,
        p.get(`base_model.model.${name}.lora_A.weight`)!,
        p.get(`base_model.model.${name}.lora_B.weight`)!,
        s,
      );
      const state: StateDict = new Map([...m.parameters()].map(([k, t]) => [k, keep(t.clone())]));
      const adapter: AdapterConfig = {
        settings: settings({ useRslora }),
        taskType: 'CAUSAL_LM',
        baseModel: '/base',
        modulesToSave: [],
      };
      mergeAdapter(state, adapter, p, 'test');
      expect(maxAbsDiff(state.get(`${name}.weight`)!.toArray(), expected)).toBeLessThan(1e-5);
      // An untargeted tensor is untouched.
      expect(state.get('gpt_neox.embed_in.weight')!.toArray()).toEqual(
        m.parameters().get('gpt_neox.embed_in.weight')!.toArray(),
      );
      lora.detach();
      m.dispose();
    }
    // modules_to_save replaces the base's tensor; an unknown one is refused by name.
    const state: StateDict = new Map([['score.weight', keep(tensor([[0, 0]]))]]);
    const seqCls: AdapterConfig = {
      settings: settings(),
      taskType: 'SEQ_CLS',
      baseModel: '/base',
      modulesToSave: ['score'],
    };
    mergeAdapter(state, seqCls, new Map([['base_model.model.score.weight', tensor([[1.5, -2]])]]), 'x');
    expect(state.get('score.weight')!.toArray()).toEqual([1.5, -2]);
    expect(() =>
      mergeAdapter(state, seqCls, new Map([['base_model.model.head.weight', tensor([[1, 2]])]]), 'dir'),
    ).toThrow(/dir: adapter tensor base_model\.model\.head\.weight has no counterpart/);
  });

  it('send gradients to A and B only, equal to central finite differences (float64)', () => {
    const m = model('float64');
    const lora = LoraAdapters.attach(m, settings({ targetModules: ['query_key_value', 'dense_4h_to_h'] }), {
      gen: new Generator(2),
    });
    randomizeFactors(lora, 6);
    noGrad(() => {
      for (const t of lora.parameters().values()) tidy(() => t.copy_(t.to('float64')));
    });
    for (const t of lora.parameters().values()) t.requiresGrad_(true);
    const weightsOf = (n: number) => Array.from({ length: n }, (_, i) => Math.sin(1.3 * i + 0.2));
    const loss = () => {
      const logits = m.logits(ids(), mask());
      return logits.mul(tensor(weightsOf(logits.size), { dtype: 'float64' }).reshape(...logits.shape)).sum();
    };
    tidy(() => loss().backward());
    for (const t of m.parameters().values()) expect(t.grad).toBeNull();
    const h = 1e-6;
    let checked = 0;
    for (const [name, t] of lora.parameters()) {
      expect(t.dtype).toBe('float64');
      const grad = t.grad!.toArray();
      for (const j of [0, Math.floor(t.size / 2), t.size - 1]) {
        const at = (delta: number) =>
          noGrad(() => {
            const flat = t.view(-1);
            const was = flat.toArray()[j]!;
            tidy(() => flat.narrow(0, j, 1).copy_(tensor([was + delta], { dtype: 'float64' })));
            const l = tidy(() => loss().item());
            tidy(() => flat.narrow(0, j, 1).copy_(tensor([was], { dtype: 'float64' })));
            return l;
          });
        const numeric = (at(h) - at(-h)) / (2 * h);
        expect(Math.abs(grad[j]! - numeric), `${name}[${j}]`).toBeLessThanOrEqual(
          1e-5 + 1e-5 * Math.abs(numeric),
        );
        checked++;
      }
    }
    expect(checked).toBe(2 * 2 * config.numHiddenLayers * 3);
    lora.detach();
    m.dispose();
  });

  it("targets by PEFT's rules: the family default, a suffix, all-linear; an unknown name is refused", () => {
    const m = model();
    const byDefault = LoraAdapters.attach(m, { ...LORA_DEFAULTS }, { gen: new Generator(1) });
    expect(byDefault.moduleNames()).toEqual([
      'gpt_neox.layers.0.attention.query_key_value',
      'gpt_neox.layers.1.attention.query_key_value',
    ]);
    byDefault.detach();
    const all = LoraAdapters.attach(m, settings({ targetModules: 'all-linear' }), { gen: new Generator(1) });
    expect(all.moduleNames()).toHaveLength(4 * config.numHiddenLayers);
    // Saved as PEFT saves all-linear: the layer names it expanded to.
    expect(all.savedTargets()).toEqual(['dense', 'dense_4h_to_h', 'dense_h_to_4h', 'query_key_value']);
    all.detach();
    // "dense" matches attention.dense only, not dense_h_to_4h (PEFT matches whole name components).
    const dense = LoraAdapters.attach(m, settings({ targetModules: ['dense'] }), { gen: new Generator(1) });
    expect(dense.moduleNames()).toEqual([
      'gpt_neox.layers.0.attention.dense',
      'gpt_neox.layers.1.attention.dense',
    ]);
    dense.detach();
    expect(() =>
      LoraAdapters.attach(m, settings({ targetModules: ['q_proj'] }), { gen: new Generator(1) }),
    ).toThrow(/"q_proj" matches no linear layer.*query_key_value, dense, dense_h_to_4h, dense_4h_to_h/);
    // A refused attach leaves no adapter behind.
    for (const layer of m.namedLinears().values()) expect(layer.adapter).toBeNull();
    m.dispose();
  });
});

describe('LoRA on the Llama family (adapters attach by module name, not architecture)', () => {
  for (const name of ['llama-tiny', 'qwen2-tiny']) {
    it(`${name}: PEFT's default targets q_proj, v_proj; B = 0 leaves the logits unchanged; disabled = base`, () => {
      const c = llamaNamedConfig(name, 64);
      const m = causalLMFor(c, initModelStateDict(c, 'causal-lm', new Generator(4)));
      const x = int64(randomIds(2, 6, 64, 9));
      const attention = tensor([Array(6).fill(1), [0, 1, 1, 1, 1, 1]], { dtype: 'int64' });
      const logits = () => noGrad(() => m.logits(x, attention).toArray());
      const base = logits();
      const lora = LoraAdapters.attach(m, { ...LORA_DEFAULTS }, { gen: new Generator(1) });
      expect(lora.moduleNames().every((n) => /\.self_attn\.(q_proj|v_proj)$/.test(n))).toBe(true);
      expect(lora.moduleNames()).toHaveLength(2 * c.numHiddenLayers);
      expect([...lora.parameters().keys()][0]).toBe(
        'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight',
      );
      expect(logits()).toEqual(base);
      randomizeFactors(lora, 2);
      expect(maxAbsDiff(logits(), base)).toBeGreaterThan(1e-3);
      expect(lora.withDisabled(logits)).toEqual(base);
      lora.detach();
      m.dispose();
    });
  }
});
