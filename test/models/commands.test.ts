/**
 * The CLI-ready functions: init-model writes a loadable HF snapshot (config, weights initialised as
 * HF does, tokenizer); generate prints one JSON object per prompt and is reproducible by seed.
 */
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCausalLM } from '../../src/models/checkpoint/load-model.ts';
import { runInitModel } from '../../src/models/checkpoint/run-init-model.ts';
import { runGenerate } from '../../src/models/sampling/run-generate.ts';
import { buildByteLevelBpeTokenizerJson, Tokenizer } from '../../src/models/tokenizer/index.ts';
import { tempDir } from './model-fixtures.ts';

let root: Awaited<ReturnType<typeof tempDir>>;
let dir: string;

beforeAll(async () => {
  root = await tempDir('gptneox-commands-');
  dir = join(root.path, 'tiny');
  const lines: string[] = [];
  await runInitModel({ config: 'pythia-tiny', out: dir, seed: 1 }, (l) => lines.push(l));
  expect(lines[0]).toMatch(/^pythia-tiny: 132,992 parameters \(hidden 64, 2 layers, 4 heads, vocab 257\)/);
});
afterAll(() => root.remove());

describe('runInitModel', () => {
  it('writes config, weights and tokenizer that load back', async () => {
    expect((await readdir(dir)).sort()).toEqual([
      'config.json',
      'model.safetensors',
      'special_tokens_map.json',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    const model = await loadCausalLM(dir);
    const tokenizer = await Tokenizer.fromFolder(dir);
    expect(model.config.vocabSize).toBe(tokenizer.vocabSize);
    expect(model.tokenizerDir).toBe(dir);
    const p = model.parameters();
    const std = (name: string) => {
      const v = p.get(name)!.toArray();
      return Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length);
    };
    expect(std('gpt_neox.layers.0.mlp.dense_h_to_4h.weight')).toBeCloseTo(0.02, 3);
    expect(std('embed_out.weight')).toBeCloseTo(0.02, 3);
    expect(
      p
        .get('gpt_neox.layers.1.input_layernorm.weight')!
        .toArray()
        .every((v) => v === 1),
    ).toBe(true);
    expect(
      p
        .get('gpt_neox.layers.1.attention.dense.bias')!
        .toArray()
        .every((v) => v === 0),
    ).toBe(true);
  });

  it('is reproducible by seed and takes a tokenizer file', async () => {
    const again = join(root.path, 'again');
    const other = join(root.path, 'other');
    await runInitModel({ config: 'tiny', out: again, seed: 1 }, () => {});
    await runInitModel({ config: 'tiny', out: other, seed: 2 }, () => {});
    const [a, b, c] = await Promise.all([dir, again, other].map((d) => loadCausalLM(d)));
    const head = (m: typeof a) => m!.parameters().get('embed_out.weight')!;
    expect(head(a).equal(head(b))).toBe(true);
    expect(head(a).equal(head(c))).toBe(false);

    const tokJson = join(root.path, 'tok.json');
    await writeFile(
      tokJson,
      JSON.stringify(buildByteLevelBpeTokenizerJson({ corpus: ['hello hello world'], numMerges: 5 })),
    );
    const withTok = join(root.path, 'with-tok');
    const result = await runInitModel(
      { config: 'pythia-tiny', out: withTok, seed: 3, tokenizer: tokJson },
      () => {},
    );
    expect(result.config.vocabSize).toBe(262);
    expect((await Tokenizer.fromFolder(withTok)).encode('hello').length).toBeLessThan(5);
  });
});

describe('runGenerate', () => {
  it('prints one JSON object per prompt', async () => {
    const lines: string[] = [];
    const records = await runGenerate(
      {
        model: dir,
        prompt: ['Hello', 'A longer prompt'],
        greedy: true,
        maxNewTokens: 6,
        seed: 0,
        json: true,
      },
      (l) => lines.push(l),
    );
    expect(lines).toHaveLength(2);
    const first = JSON.parse(lines[0]!);
    expect(Object.keys(first).sort()).toEqual([
      'generated_ids',
      'logprobs',
      'prompt_ids',
      'sampling_logprobs',
      'text',
    ]);
    const tokenizer = await Tokenizer.fromFolder(dir);
    expect(first.prompt_ids).toEqual(tokenizer.encode('Hello'));
    expect(first.generated_ids.length).toBe(first.logprobs.length);
    expect(first.generated_ids.length).toBeGreaterThan(0);
    expect(first.logprobs.every((v: number) => v <= 0)).toBe(true);
    expect(records[1]!.prompt_ids).toEqual(tokenizer.encode('A longer prompt'));
  });

  it('is reproducible by seed when sampling, from ids too', async () => {
    const args = {
      model: dir,
      promptIds: [[72, 101], [66]],
      temperature: 1.2,
      topP: 0.95,
      maxNewTokens: 8,
      seed: 4,
    };
    const a = await runGenerate(args, () => {});
    const b = await runGenerate(args, () => {});
    const c = await runGenerate({ ...args, seed: 5 }, () => {});
    expect(a.map((r) => r.generated_ids)).toEqual(b.map((r) => r.generated_ids));
    expect(a.map((r) => r.generated_ids)).not.toEqual(c.map((r) => r.generated_ids));
    expect(a[0]!.prompt_ids).toEqual([72, 101]);
  });
});
