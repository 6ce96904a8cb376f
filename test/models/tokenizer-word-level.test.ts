/**
 * Word-level tokenizers (HF model type WordLevel + Whitespace pre-tokenizer), as the synthetic lab
 * uses, through the same Tokenizer class.
 */
import { describe, expect, it } from 'vitest';
import { buildWordLevelTokenizerJson, Tokenizer } from '../../src/models/tokenizer/index.ts';

/** Written by hand in the layout the Rust `tokenizers` library saves for a WordLevel model. */
const HAND_JSON = {
  version: '1.0',
  truncation: null,
  padding: null,
  added_tokens: [
    {
      id: 0,
      content: '</s>',
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    },
    {
      id: 1,
      content: '<pad>',
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    },
  ],
  normalizer: null,
  pre_tokenizer: { type: 'Whitespace' },
  post_processor: null,
  decoder: null,
  model: {
    type: 'WordLevel',
    vocab: { '</s>': 0, '<pad>': 1, '<unk>': 2, good: 3, bad: 4, '!': 5 },
    unk_token: '<unk>',
  },
};

describe('WordLevel tokenizer.json', () => {
  it('loads and encodes whole words, unknown words to <unk>', () => {
    const tokenizer = Tokenizer.fromJSON(HAND_JSON, { padToken: '<pad>' });
    // "good", "bad", "!", "ugly" → 3, 4, 5, <unk> 2; Whitespace splits "bad!" into "bad" + "!".
    expect(tokenizer.encode('good bad! ugly')).toEqual([3, 4, 5, 2]);
    expect(tokenizer.encode('good', { addEos: true })).toEqual([3, 0]);
    expect([tokenizer.eosId, tokenizer.padId, tokenizer.bosId, tokenizer.vocabSize]).toEqual([0, 1, null, 6]);
  });

  it('decodes by joining the words with spaces (no decoder)', () => {
    const tokenizer = Tokenizer.fromJSON(HAND_JSON);
    expect(tokenizer.decode([3, 4, 5])).toBe('good bad !');
    expect(tokenizer.decode([3, 0, 1], { skipSpecialTokens: true })).toBe('good');
  });

  it('takes </s> as EOS and pads with it by default', () => {
    const tokenizer = Tokenizer.fromJSON(HAND_JSON);
    expect(tokenizer.padId).toBe(0);
    expect(tokenizer.batchEncode(['good', 'bad bad'], { padding: 'right' }).ids).toEqual([
      [3, 0],
      [4, 4],
    ]);
  });

  it('loads when optional sections are missing', () => {
    const vocab = { '<|endoftext|>': 0, '<unk>': 1, a: 2 };
    const minimal = {
      pre_tokenizer: { type: 'Whitespace' },
      model: { type: 'WordLevel', vocab, unk_token: '<unk>' },
    };
    expect(Tokenizer.fromJSON(minimal).encode('a b a')).toEqual([2, 1, 2]);
    // Without any pre-tokenizer the whole text is one (unknown) word.
    const bare = { model: { type: 'WordLevel', vocab, unk_token: '<unk>' } };
    expect(Tokenizer.fromJSON(bare).encode('a b a')).toEqual([1]);
  });

  it('errors on an unknown word when the model has no unk token in its vocabulary', () => {
    const noUnk = { ...HAND_JSON, model: { ...HAND_JSON.model, unk_token: '<missing>' } };
    expect(() => Tokenizer.fromJSON(noUnk).encode('good ugly')).toThrow(
      /not in the vocabulary and there is no unk token/,
    );
  });
});

describe('buildWordLevelTokenizerJson', () => {
  const json = buildWordLevelTokenizerJson({
    words: ['the', 'cat', 'sat', '.', 'café'],
    specialTokens: ['<|endoftext|>', '[PAD]'],
  });

  it('numbers special tokens, then [UNK], then words', () => {
    expect(json.model).toEqual({
      type: 'WordLevel',
      vocab: { '<|endoftext|>': 0, '[PAD]': 1, '[UNK]': 2, the: 3, cat: 4, sat: 5, '.': 6, café: 7 },
      unk_token: '[UNK]',
    });
    expect(json.added_tokens.map((t) => [t.id, t.content, t.special])).toEqual([
      [0, '<|endoftext|>', true],
      [1, '[PAD]', true],
    ]);
  });

  it('encodes with Unicode word characters, like Rust tokenizers', () => {
    const tokenizer = Tokenizer.fromJSON(json, { padToken: '[PAD]' });
    // "the cat sat on the mat." → the cat sat [UNK] the [UNK] .
    expect(tokenizer.encode('the cat sat on the mat.')).toEqual([3, 4, 5, 2, 3, 2, 6]);
    // "café." splits into "café" + "." (é is a word character), not "caf" + "é."
    expect(tokenizer.encode('café.')).toEqual([7, 6]);
    expect(tokenizer.batchEncode(['the cat', 'sat'], { padding: 'left' }).ids).toEqual([
      [3, 4],
      [1, 5],
    ]);
  });

  it('rejects duplicate words and words the pre-tokenizer can never produce', () => {
    expect(() => buildWordLevelTokenizerJson({ words: ['a', 'a'] })).toThrow(/duplicate token "a"/);
    expect(() => buildWordLevelTokenizerJson({ words: ['two words'] })).toThrow(/can never come out/);
    expect(() => buildWordLevelTokenizerJson({ words: ['cat.'] })).toThrow(/can never come out/);
  });
});
