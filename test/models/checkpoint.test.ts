/**
 * HF snapshot folders: save/load round trips (single file and sharded, with HF's index layout),
 * bf16/f16 weights, the one error listing every missing, unexpected and mis-shaped tensor, HF's
 * non-persistent buffers, and config.json parsing.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SafetensorsReader } from '../../src/io/safetensors.ts';
import { loadCausalLM, loadConfig } from '../../src/models/checkpoint/load-model.ts';
import { countParameters } from '../../src/models/gptneox/config.ts';
import { parseConfigJson, toConfigJson } from '../../src/models/gptneox/config-json.ts';
import { GPTNeoXForCausalLM } from '../../src/models/gptneox/model.ts';
import { NAMED_CONFIGS, namedConfig } from '../../src/models/gptneox/named-configs.ts';
import { causalLMShapes } from '../../src/models/gptneox/parameter-layout.ts';
import { StateDictMismatchError } from '../../src/models/gptneox/state-dict-check.ts';
import { planShards, writeSnapshot } from '../../src/models/gptneox/write-snapshot.ts';
import { noGrad, type Tensor, tensor, zeros } from '../../src/tensor/index.ts';
import { int64, maxAbsDiff, tempDir, tinyConfig, wideRandomState } from './model-fixtures.ts';

const config = tinyConfig();
let root: Awaited<ReturnType<typeof tempDir>>;
let n = 0;
const folder = () => join(root.path, `snapshot-${n++}`);

beforeAll(async () => {
  root = await tempDir('gptneox-checkpoint-');
});
afterAll(() => root.remove());

function sameTensors(a: Map<string, Tensor>, b: Map<string, Tensor>): void {
  expect([...b.keys()]).toEqual([...a.keys()]);
  for (const [name, t] of a) expect(t.equal(b.get(name)!), name).toBe(true);
}

describe('save and load', () => {
  it('round-trips a single-file snapshot with HF names and config', async () => {
    const dir = folder();
    const model = new GPTNeoXForCausalLM(config, wideRandomState(config, 'causal-lm', 1));
    await model.save(dir);
    expect((await readdir(dir)).sort()).toEqual(['config.json', 'model.safetensors']);
    const json = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    expect(json).toMatchObject({
      architectures: ['GPTNeoXForCausalLM'],
      model_type: 'gpt_neox',
      torch_dtype: 'float32',
    });
    const reader = await SafetensorsReader.open(join(dir, 'model.safetensors'));
    expect(reader.metadata).toEqual({ format: 'pt' });
    expect(reader.names()).toContain('gpt_neox.layers.1.attention.query_key_value.weight');
    await reader.close();
    const loaded = await loadCausalLM(dir);
    sameTensors(model.parameters(), loaded.parameters());
    expect(loaded.config).toEqual(config);
  });

  it('shards above maxShardBytes with an HF index, and loads the shards back', async () => {
    const dir = folder();
    const model = new GPTNeoXForCausalLM(config, wideRandomState(config, 'causal-lm', 2));
    await model.save(dir, { maxShardBytes: 30_000 });
    const files = (await readdir(dir)).sort();
    const shards = files.filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f));
    expect(shards.length).toBeGreaterThan(2);
    expect(shards[0]).toBe(`model-00001-of-${String(shards.length).padStart(5, '0')}.safetensors`);
    expect(files).not.toContain('model.safetensors');
    const index = JSON.parse(await readFile(join(dir, 'model.safetensors.index.json'), 'utf8'));
    const expectedBytes =
      4 * [...causalLMShapes(config).values()].reduce((s, sh) => s + sh.reduce((a, b) => a * b, 1), 0);
    expect(index.metadata.total_size).toBe(expectedBytes);
    expect(Object.keys(index.weight_map).sort()).toEqual([...causalLMShapes(config).keys()].sort());
    const loaded = await loadCausalLM(dir);
    sameTensors(model.parameters(), loaded.parameters());
    // Saving again unsharded into the same folder removes the stale shards and index.
    await loaded.save(dir);
    expect((await readdir(dir)).sort()).toEqual(['config.json', 'model.safetensors']);
  });

  it('plans shards greedily in order, a too-large tensor alone', () => {
    expect(
      planShards(
        [
          ['a', 4],
          ['b', 4],
          ['c', 10],
          ['d', 1],
        ],
        8,
      ),
    ).toEqual([['a', 'b'], ['c'], ['d']]);
  });

  it('stores bf16 and loads it as bfloat16 or float32', async () => {
    const dir = folder();
    const model = new GPTNeoXForCausalLM(config, wideRandomState(config, 'causal-lm', 3));
    await model.save(dir, { dtype: 'bfloat16' });
    expect(JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')).torch_dtype).toBe('bfloat16');
    const reader = await SafetensorsReader.open(join(dir, 'model.safetensors'));
    expect(reader.info('gpt_neox.embed_in.weight').dtype).toBe('BF16');
    await reader.close();
    const asBf16 = await loadCausalLM(dir, { dtype: 'bfloat16' });
    const asF32 = await loadCausalLM(dir);
    expect(asBf16.dtype).toBe('bfloat16');
    expect(asF32.dtype).toBe('float32');
    // The float32 load holds exactly the bf16-rounded weights.
    const rounded = model.parameters().get('gpt_neox.embed_in.weight')!.to('bfloat16').float();
    expect(asF32.parameters().get('gpt_neox.embed_in.weight')!.equal(rounded)).toBe(true);
    const ids = int64([[1, 2, 3, 4, 5]]);
    const mask = int64([[1, 1, 1, 1, 1]]);
    const low = noGrad(() => asBf16.logits(ids, mask).float());
    const high = noGrad(() => asF32.logits(ids, mask));
    expect(low.dtype).toBe('float32');
    const diff = maxAbsDiff(low.toArray(), high.toArray());
    expect(diff).toBeLessThan(0.15);
    expect(diff).toBeGreaterThan(0); // really computed in bf16
  });

  it('loads F16 files', async () => {
    const dir = folder();
    const state = wideRandomState(config, 'causal-lm', 4);
    const half = [...state].map(([name, t]): [string, Tensor] => [name, t.to('float16')]);
    await writeSnapshot(dir, { config, architectures: ['GPTNeoXForCausalLM'], tensors: half });
    const loaded = await loadCausalLM(dir);
    const w = loaded.parameters().get('gpt_neox.final_layer_norm.weight')!;
    expect(w.dtype).toBe('float32');
    expect(w.equal(state.get('gpt_neox.final_layer_norm.weight')!.to('float16').float())).toBe(true);
  });
});

describe('mismatched checkpoints', () => {
  it('one error lists every missing, unexpected and mis-shaped tensor', async () => {
    const dir = folder();
    const state = wideRandomState(config, 'causal-lm', 5);
    state.delete('gpt_neox.layers.1.mlp.dense_4h_to_h.bias');
    state.delete('embed_out.weight');
    state.set('gpt_neox.layers.0.attention.dense.weight', zeros([32, 31]));
    state.set('lm_head.weight', zeros([50, 32]));
    await writeSnapshot(dir, { config, architectures: ['GPTNeoXForCausalLM'], tensors: [...state] });
    const error = await loadCausalLM(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateDictMismatchError);
    const problems = (error as StateDictMismatchError).problems;
    expect(problems.missing.sort()).toEqual(['embed_out.weight', 'gpt_neox.layers.1.mlp.dense_4h_to_h.bias']);
    expect(problems.unexpected).toEqual(['lm_head.weight']);
    expect(problems.mismatched).toEqual([
      { name: 'gpt_neox.layers.0.attention.dense.weight', expected: [32, 32], found: [32, 31] },
    ]);
    const message = (error as Error).message;
    for (const name of ['embed_out.weight', 'dense_4h_to_h.bias', 'lm_head.weight', '[32,31]'])
      expect(message).toContain(name);
  });

  it('ignores HF’s non-persistent attention buffers', async () => {
    const dir = folder();
    const state = wideRandomState(config, 'causal-lm', 6);
    state.set('gpt_neox.layers.0.attention.bias', tensor([[true]]));
    state.set('gpt_neox.layers.0.attention.masked_bias', tensor([-1e9]));
    state.set('gpt_neox.layers.1.attention.rotary_emb.inv_freq', tensor([1, 0.01]));
    await writeSnapshot(dir, { config, architectures: ['GPTNeoXForCausalLM'], tensors: [...state] });
    const loaded = await loadCausalLM(dir);
    expect([...loaded.parameters().keys()]).toEqual([...causalLMShapes(config).keys()]);
  });

  it('names the folder when config or weights are absent', async () => {
    const dir = folder();
    await writeSnapshot(dir, { config, architectures: ['GPTNeoXForCausalLM'], tensors: [] });
    await expect(loadCausalLM(dir)).rejects.toThrow(
      `${dir}: no weights (model.safetensors, model.safetensors.index.json, pytorch_model.bin or pytorch_model.bin.index.json)`,
    );
    await writeFile(join(dir, 'pytorch_model.bin'), 'not a zip');
    await expect(loadCausalLM(dir)).rejects.toThrow(
      `${join(dir, 'pytorch_model.bin')}: not a PyTorch zip archive`,
    );
    await expect(loadCausalLM(join(root.path, 'nowhere'))).rejects.toThrow(/nowhere: no config\.json/);
  });
});

describe('config.json', () => {
  const pythia70m = {
    architectures: ['GPTNeoXForCausalLM'],
    bos_token_id: 0,
    eos_token_id: 0,
    hidden_act: 'gelu',
    hidden_size: 512,
    initializer_range: 0.02,
    intermediate_size: 2048,
    layer_norm_eps: 1e-5,
    max_position_embeddings: 2048,
    model_type: 'gpt_neox',
    num_attention_heads: 8,
    num_hidden_layers: 6,
    rotary_emb_base: 10000,
    rotary_pct: 0.25,
    tie_word_embeddings: false,
    torch_dtype: 'float16',
    transformers_version: '4.24.0',
    use_cache: true,
    use_parallel_residual: true,
    vocab_size: 50304,
  };

  it('reads Pythia-70m’s published config.json', () => {
    const c = parseConfigJson(pythia70m);
    expect(c).toEqual(namedConfig('pythia-70m', 50277));
    expect(
      parseConfigJson(toConfigJson(c, { architectures: ['GPTNeoXForCausalLM'], torchDtype: 'float32' })),
    ).toEqual(c);
  });

  it('accepts newer key names when they agree, and rejects contradictions', () => {
    const newer = {
      ...pythia70m,
      rotary_pct: undefined,
      rotary_emb_base: undefined,
      partial_rotary_factor: 0.25,
      rope_theta: 10000,
    };
    expect(parseConfigJson(JSON.parse(JSON.stringify(newer))).rotaryPct).toBe(0.25);
    expect(() => parseConfigJson({ ...pythia70m, partial_rotary_factor: 0.5 })).toThrow(
      /rotary_pct = 0.25 contradicts partial_rotary_factor = 0.5/,
    );
  });

  it('names every unsupported key or value', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ rope_scaling: { type: 'linear', factor: 2 } }, /rope_scaling: rope scaling is not implemented/],
      [{ hidden_act: 'relu' }, /hidden_act/],
      [{ attention_dropout: 0.1 }, /attention_dropout: dropout is not implemented/],
      [{ model_type: 'llama' }, /model_type/],
      [{ sliding_window: 128 }, /unsupported key\(s\) "sliding_window"/],
      [{ hidden_size: 500 }, /hidden_size: 500 is not divisible by num_attention_heads 8/],
      [{ rotary_pct: 0.11 }, /rotary_pct: gives an odd rotary width 7/],
      [{ hidden_size: undefined }, /hidden_size/],
    ];
    for (const [change, message] of cases) {
      expect(
        () => parseConfigJson(JSON.parse(JSON.stringify({ ...pythia70m, ...change }))),
        JSON.stringify(change),
      ).toThrow(message);
    }
  });

  it('loadConfig names the file', async () => {
    const dir = folder();
    await writeSnapshot(dir, { config, architectures: ['GPTNeoXForCausalLM'], tensors: [] });
    const json = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    await writeFile(join(dir, 'config.json'), JSON.stringify({ ...json, rope_scaling: { type: 'dynamic' } }));
    await expect(loadConfig(dir)).rejects.toThrow(`${join(dir, 'config.json')}: invalid GPT-NeoX config`);
  });
});

describe('named configurations', () => {
  // Published totals (EleutherAI/pythia README), embedding and unembedding included.
  const published: Record<string, number> = {
    'pythia-14m': 14_067_712,
    'pythia-70m': 70_426_624,
    'pythia-160m': 162_322_944,
    'pythia-410m': 405_334_016,
    'pythia-1b': 1_011_781_632,
    'pythia-1.4b': 1_414_647_808,
    'pythia-2.8b': 2_775_208_960,
    'pythia-6.9b': 6_857_302_016,
    'pythia-12b': 11_846_072_320,
  };

  it('have the published Pythia parameter counts', () => {
    for (const [name, total] of Object.entries(published)) {
      const c = namedConfig(name, 50277);
      const fromShapes = [...causalLMShapes(c).values()].reduce(
        (s, sh) => s + sh.reduce((a, b) => a * b, 1),
        0,
      );
      expect(fromShapes, name).toBe(total);
      expect(countParameters(c), name).toBe(total);
    }
  });

  it('size the tiny configs from the tokenizer', () => {
    expect(NAMED_CONFIGS).toContain('pythia-tiny');
    const tiny = namedConfig('tiny', 257);
    expect(tiny.vocabSize).toBe(257);
    expect(countParameters(namedConfig('pythia-tiny', 4096))).toBeGreaterThan(500_000);
    const small = countParameters(namedConfig('pythia-small', 257));
    expect(small).toBeGreaterThan(15e6);
    expect(small).toBeLessThan(25e6);
    expect(() => namedConfig('pythia-70m', 60000)).toThrow(
      /tokenizer has 60000 tokens but the model only 50304/,
    );
    expect(() => namedConfig('pythia-3b', 257)).toThrow(/unknown model config "pythia-3b"/);
  });
});
