/**
 * Tokenizer folders on disk: writing the HF layout, loading it back, special-token resolution from
 * tokenizer_config.json / special_tokens_map.json vs defaults, and errors that name the bad file.
 * Tokenizer: no merges, [PAD] = 257 and <s> = 258 as extra special tokens, <|endoftext|> = 0.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildByteLevelBpeTokenizerJson,
  Tokenizer,
  writeTokenizerFolder,
} from '../../src/models/tokenizer/index.ts';

const json = buildByteLevelBpeTokenizerJson({ extraSpecialTokens: ['[PAD]', '<s>'] });
let root: string;
let counter = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tokenizer-files-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fresh folder holding the given files (objects are written as JSON, strings as they are). */
async function folder(files: Record<string, unknown>): Promise<string> {
  const dir = join(root, `case-${counter++}`);
  await mkdir(dir);
  for (const [name, content] of Object.entries(files)) {
    await writeFile(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return dir;
}

async function readJson(path: string): Promise<unknown> {
  return JSON.parse(await readFile(path, 'utf8'));
}

describe('writeTokenizerFolder', () => {
  it('writes tokenizer.json, tokenizer_config.json and special_tokens_map.json in HF layout', async () => {
    const dir = join(root, 'written');
    await writeTokenizerFolder(dir, json, {
      eosToken: '<|endoftext|>',
      padToken: '[PAD]',
      modelMaxLength: 64,
    });
    expect(await readJson(join(dir, 'tokenizer.json'))).toEqual(json);
    expect(await readJson(join(dir, 'special_tokens_map.json'))).toEqual({
      eos_token: '<|endoftext|>',
      pad_token: '[PAD]',
    });
    expect(await readJson(join(dir, 'tokenizer_config.json'))).toEqual({
      eos_token: '<|endoftext|>',
      pad_token: '[PAD]',
      clean_up_tokenization_spaces: false,
      model_max_length: 64,
      tokenizer_class: 'PreTrainedTokenizerFast',
    });
    const loaded = await Tokenizer.fromFolder(dir);
    expect([loaded.eosId, loaded.padId, loaded.bosId]).toEqual([0, 257, null]);
    expect(loaded.encode('hi')).toEqual([72, 73]); // h = 104 − 32, i = 105 − 32
  });

  it('refuses a special token missing from the vocabulary and writes nothing', async () => {
    const dir = join(root, 'refused');
    await expect(
      writeTokenizerFolder(dir, json, { eosToken: '<|endoftext|>', padToken: '<pad>' }),
    ).rejects.toThrow(/pad token "<pad>" is not in the vocabulary/);
    await expect(readFile(join(dir, 'tokenizer.json'))).rejects.toThrow(/ENOENT/);
  });
});

describe('special tokens from the folder', () => {
  it('defaults to EOS <|endoftext|>, PAD = EOS and no BOS with only tokenizer.json', async () => {
    const tokenizer = await Tokenizer.fromFolder(await folder({ 'tokenizer.json': json }));
    expect([tokenizer.eosId, tokenizer.padId, tokenizer.bosId]).toEqual([0, 0, null]);
  });

  it('reads tokenizer_config.json, with plain strings or AddedToken objects', async () => {
    const dir = await folder({
      'tokenizer.json': json,
      'tokenizer_config.json': {
        eos_token: '<|endoftext|>',
        bos_token: { __type: 'AddedToken', content: '<s>', lstrip: false, rstrip: false },
        pad_token: '[PAD]',
        tokenizer_class: 'GPTNeoXTokenizer',
      },
    });
    const tokenizer = await Tokenizer.fromFolder(dir);
    expect([tokenizer.eosId, tokenizer.padId, tokenizer.bosId]).toEqual([0, 257, 258]);
  });

  it('lets special_tokens_map.json override tokenizer_config.json, and explicit overrides both', async () => {
    const dir = await folder({
      'tokenizer.json': json,
      'tokenizer_config.json': { eos_token: '<|endoftext|>', pad_token: null, bos_token: '<s>' },
      'special_tokens_map.json': { pad_token: { content: '[PAD]' } },
    });
    const fromFiles = await Tokenizer.fromFolder(dir);
    expect([fromFiles.eosId, fromFiles.padId, fromFiles.bosId]).toEqual([0, 257, 258]);
    const overridden = await Tokenizer.fromFolder(dir, { padToken: '<|endoftext|>' });
    expect(overridden.padId).toBe(0);
  });

  it('names the token and the folder when a configured token is unknown', async () => {
    const dir = await folder({ 'tokenizer.json': json, 'tokenizer_config.json': { eos_token: '</s>' } });
    await expect(Tokenizer.fromFolder(dir)).rejects.toThrow(
      new RegExp(`${dir}.*tokenizer_config.json.*eos token "</s>" is not in the vocabulary`),
    );
  });

  it('needs an EOS when none of the usual spellings exists', () => {
    const wordLevel = { model: { type: 'WordLevel', vocab: { '[UNK]': 0, x: 1 }, unk_token: '[UNK]' } };
    expect(() => Tokenizer.fromJSON(wordLevel)).toThrow(/no eos token configured/);
    expect(Tokenizer.fromJSON(wordLevel, { eosToken: 'x' }).eosId).toBe(1);
  });
});

describe('loading errors name the file', () => {
  it('missing tokenizer.json', async () => {
    const dir = await folder({});
    await expect(Tokenizer.fromFolder(dir)).rejects.toThrow(
      `tokenizer file not found: ${join(dir, 'tokenizer.json')}`,
    );
  });

  it('tokenizer.json that is not JSON', async () => {
    const dir = await folder({ 'tokenizer.json': '{"model": ' });
    await expect(Tokenizer.fromFolder(dir)).rejects.toThrow(`invalid JSON in ${join(dir, 'tokenizer.json')}`);
  });

  it('tokenizer.json that is JSON but not a tokenizer', async () => {
    const dir = await folder({ 'tokenizer.json': { hello: 'world' } });
    await expect(Tokenizer.fromFolder(dir)).rejects.toThrow(
      `invalid ${join(dir, 'tokenizer.json')}: tokenizer.json has no "model" object`,
    );
  });

  it('tokenizer.json with an unsupported model type', async () => {
    const dir = await folder({ 'tokenizer.json': { model: { type: 'CharLevel', vocab: {} } } });
    await expect(Tokenizer.fromFolder(dir)).rejects.toThrow(
      /tokenizer\.json: unsupported model type "CharLevel"/,
    );
  });

  it('tokenizer.json whose pipeline the library rejects', async () => {
    const dir = await folder({ 'tokenizer.json': { ...json, decoder: { type: 'Mystery' } } });
    await expect(Tokenizer.fromFolder(dir)).rejects.toThrow(
      /tokenizer\.json: @huggingface\/tokenizers rejected it: .*Mystery/,
    );
  });

  it('an optional file that is present but broken', async () => {
    const dir = await folder({ 'tokenizer.json': json, 'special_tokens_map.json': 'not json' });
    await expect(Tokenizer.fromFolder(dir)).rejects.toThrow(
      `invalid JSON in ${join(dir, 'special_tokens_map.json')}`,
    );
  });

  it('fromJSON on a non-object', () => {
    expect(() => Tokenizer.fromJSON([])).toThrow(/must be a JSON object/);
  });
});
