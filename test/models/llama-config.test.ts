/**
 * Llama / Qwen2 config.json: the published configs of small models parse into the fields their
 * papers and model cards state, a saved config reads back unchanged, what this implementation cannot
 * compute (another rope type, sliding windows, another family) is an error naming the key, and the
 * parameter counts equal the published totals (SmolLM-135M: 134,515,008; Qwen2.5-0.5B: 494,032,768).
 */
import { describe, expect, it } from 'vitest';
import {
  countLlamaParameters,
  llamaNamedConfig,
  parseLlamaConfigJson,
  toLlamaConfigJson,
} from '../../src/models/llama/config.ts';
import { llamaInverseFrequencies } from '../../src/models/llama/model.ts';
import { parseAnyConfigJson } from '../../src/models/model-family.ts';

/** Qwen/Qwen2.5-0.5B's config.json, key for key. */
const QWEN25_05B = {
  architectures: ['Qwen2ForCausalLM'],
  attention_dropout: 0.0,
  bos_token_id: 151643,
  eos_token_id: 151643,
  hidden_act: 'silu',
  hidden_size: 896,
  initializer_range: 0.02,
  intermediate_size: 4864,
  max_position_embeddings: 32768,
  max_window_layers: 24,
  model_type: 'qwen2',
  num_attention_heads: 14,
  num_hidden_layers: 24,
  num_key_value_heads: 2,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000.0,
  sliding_window: 32768,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  transformers_version: '4.40.1',
  use_cache: true,
  use_mrope: false,
  use_sliding_window: false,
  vocab_size: 151936,
};

/** HuggingFaceTB/SmolLM-135M's config.json. */
const SMOLLM_135M = {
  architectures: ['LlamaForCausalLM'],
  attention_bias: false,
  attention_dropout: 0.0,
  bos_token_id: 0,
  eos_token_id: 0,
  hidden_act: 'silu',
  hidden_size: 576,
  initializer_range: 0.02,
  intermediate_size: 1536,
  max_position_embeddings: 2048,
  model_type: 'llama',
  num_attention_heads: 9,
  num_hidden_layers: 30,
  num_key_value_heads: 3,
  pretraining_tp: 1,
  rms_norm_eps: 1e-5,
  rope_scaling: null,
  rope_theta: 10000.0,
  tie_word_embeddings: true,
  torch_dtype: 'float32',
  transformers_version: '4.42.3',
  use_cache: true,
  vocab_size: 49152,
};

/** A Llama 3.2-style config: llama3 rope scaling, a list of EOS ids, an explicit head_dim. */
const LLAMA32_STYLE = {
  ...SMOLLM_135M,
  bos_token_id: 128000,
  eos_token_id: [128001, 128008, 128009],
  vocab_size: 128256,
  head_dim: 64,
  rope_theta: 500000.0,
  rope_scaling: {
    factor: 32.0,
    high_freq_factor: 4.0,
    low_freq_factor: 1.0,
    original_max_position_embeddings: 8192,
    rope_type: 'llama3',
  },
};

describe('Llama / Qwen2 config.json', () => {
  it('reads Qwen2.5-0.5B: grouped-query heads, q/k/v biases only, θ 1e6, tied', () => {
    const c = parseLlamaConfigJson(QWEN25_05B);
    expect(c).toMatchObject({
      modelType: 'qwen2',
      numAttentionHeads: 14,
      numKeyValueHeads: 2,
      headDim: 64,
      ropeTheta: 1e6,
      ropeScaling: null,
      qkvBias: true,
      outputBias: false,
      mlpBias: false,
      tieWordEmbeddings: true,
      eosTokenId: 151643,
    });
    expect(countLlamaParameters(c)).toBe(494_032_768);
  });

  it('reads SmolLM-135M (Llama layout) with its published 134,515,008 parameters', () => {
    const c = parseLlamaConfigJson(SMOLLM_135M);
    expect(c).toMatchObject({ modelType: 'llama', numKeyValueHeads: 3, headDim: 64, qkvBias: false });
    expect(countLlamaParameters(c)).toBe(134_515_008);
    expect(llamaNamedConfig('smollm-135m', 49152, 0)).toEqual(c);
    expect(countLlamaParameters(llamaNamedConfig('qwen2.5-0.5b', 151936))).toBe(494_032_768);
  });

  it('reads llama3 rope scaling and the first of several EOS ids', () => {
    const c = parseLlamaConfigJson(LLAMA32_STYLE);
    expect(c.ropeScaling).toEqual({
      type: 'llama3',
      factor: 32,
      lowFreqFactor: 1,
      highFreqFactor: 4,
      originalMaxPositionEmbeddings: 8192,
    });
    expect(c.eosTokenId).toBe(128001);
    // By hand: wavelength 2π/θ_i; i = 0 (θ 1, wavelength 6.3 < 8192/4) is kept; the last
    // (θ = 5e5^(−62/64), wavelength ≈ 2.0e6 > 8192) is divided by 32.
    const f = llamaInverseFrequencies(c);
    expect(f[0]).toBe(1);
    expect(f[31]).toBeCloseTo(500000 ** (-62 / 64) / 32, 15);
  });

  it("missing keys take HF's class defaults (LlamaConfig, Qwen2Config signatures)", () => {
    const { rope_theta: _t, max_position_embeddings: _m, ...qwen } = QWEN25_05B;
    expect(parseLlamaConfigJson(qwen)).toMatchObject({ ropeTheta: 10000, maxPositionEmbeddings: 32768 });
    const { rope_theta: _u, max_position_embeddings: _n, num_key_value_heads: _k, ...llama } = SMOLLM_135M;
    expect(parseLlamaConfigJson(llama)).toMatchObject({
      ropeTheta: 10000,
      maxPositionEmbeddings: 2048,
      numKeyValueHeads: 9, // no key/value grouping
    });
  });

  it('a saved config reads back to the same configuration', () => {
    for (const json of [QWEN25_05B, SMOLLM_135M, LLAMA32_STYLE]) {
      const c = parseLlamaConfigJson(json);
      const written = toLlamaConfigJson(c, { architectures: json.architectures, torchDtype: 'float32' });
      expect(parseLlamaConfigJson(written)).toEqual(c);
    }
  });

  it('refuses what it cannot compute, naming the key', () => {
    const bad =
      (patch: Record<string, unknown>, base: object = SMOLLM_135M) =>
      () =>
        parseLlamaConfigJson({ ...base, ...patch }, 'm/config.json');
    expect(bad({ rope_scaling: { rope_type: 'yarn', factor: 4 } })).toThrow(
      /m\/config\.json: rope_scaling: rope type "yarn" is not implemented; supported: default, linear, dynamic, llama3/,
    );
    expect(bad({ rope_scaling: { type: 'linear' } })).toThrow(
      /rope_scaling\.factor is required for rope type "linear"/,
    );
    expect(bad({ use_sliding_window: true }, QWEN25_05B)).toThrow(
      /use_sliding_window: sliding-window attention/,
    );
    expect(bad({ hidden_act: 'gelu' })).toThrow(/hidden_act: only the SwiGLU MLP/);
    expect(bad({ num_key_value_heads: 4 })).toThrow(
      /num_key_value_heads: 4 does not divide num_attention_heads 9/,
    );
    expect(bad({ sparse_attention: true })).toThrow(/unsupported key\(s\) "sparse_attention"/);
    expect(bad({ attention_bias: true }, QWEN25_05B)).toThrow(
      /attention_bias: Qwen2 always has q\/k\/v biases/,
    );
  });

  it('the loader dispatches on model_type, and names the families it supports', () => {
    expect(parseAnyConfigJson(QWEN25_05B)).toMatchObject({ modelType: 'qwen2' });
    expect(() => parseAnyConfigJson({ ...SMOLLM_135M, model_type: 'mistral' }, 'x/config.json')).toThrow(
      /x\/config\.json: model_type "mistral" is not supported; supported: gpt_neox .*llama, qwen2/,
    );
    const { model_type: _, ...untyped } = SMOLLM_135M;
    expect(() => parseAnyConfigJson(untyped, 'x/config.json')).toThrow(/needs its model_type/);
  });
});
