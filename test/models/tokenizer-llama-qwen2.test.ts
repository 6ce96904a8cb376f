/**
 * The tokenizer.json layouts of the Llama family load through @huggingface/tokenizers and encode as
 * the Rust library does, on small files built here (no download):
 * - SentencePiece-style BPE with byte fallback (Llama 2, TinyLlama, Mistral): "▁" for spaces, given by
 *   a Prepend + Replace normalizer (older files) or a Metaspace pre-tokenizer (newer files); characters
 *   outside the vocabulary become their UTF-8 bytes <0xNN>, and decoding fuses them back;
 * - byte-level BPE behind a Split regex (Qwen2, SmolLM): bytes spelled as GPT-2's symbols, "Ġ" a space.
 * The ids are worked out by hand from each file's vocabulary (comments).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Tokenizer } from '../../src/models/tokenizer/index.ts';

const special = (id: number, content: string) => ({
  id,
  content,
  single_word: false,
  lstrip: false,
  rstrip: false,
  normalized: false,
  special: true,
});

// ---- SentencePiece-style: <unk> 0, <s> 1, </s> 2, <0x00>..<0xFF> 3..258, then the pieces ----
const BYTE_TOKENS = Array.from(
  { length: 256 },
  (_, i) => `<0x${i.toString(16).toUpperCase().padStart(2, '0')}>`,
);
const PIECES = [
  '▁',
  'h',
  'e',
  'l',
  'o',
  'w',
  'r',
  'd',
  '▁h',
  '▁w',
  'll',
  'llo',
  'ello',
  '▁hello',
  'or',
  '▁wor',
  '▁worl',
  '▁world',
];
const SP_VOCAB: Record<string, number> = { '<unk>': 0, '<s>': 1, '</s>': 2 };
for (const t of [...BYTE_TOKENS, ...PIECES]) SP_VOCAB[t] = Object.keys(SP_VOCAB).length;
const SP_MERGES = ['▁ h', 'l l', 'll o', 'e llo', '▁h ello', 'o r', '▁ w', '▁w or', '▁wor l', '▁worl d'];
const SP_DECODER = {
  type: 'Sequence',
  decoders: [
    { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
    { type: 'ByteFallback' },
    { type: 'Fuse' },
    { type: 'Strip', content: ' ', start: 1, stop: 0 },
  ],
};
const spModel = {
  type: 'BPE',
  dropout: null,
  unk_token: '<unk>',
  continuing_subword_prefix: null,
  end_of_word_suffix: null,
  fuse_unk: true,
  byte_fallback: true,
  vocab: SP_VOCAB,
  merges: SP_MERGES,
};
const LLAMA2_JSON = {
  version: '1.0',
  added_tokens: [special(0, '<unk>'), special(1, '<s>'), special(2, '</s>')],
  normalizer: {
    type: 'Sequence',
    normalizers: [
      { type: 'Prepend', prepend: '▁' },
      { type: 'Replace', pattern: { String: ' ' }, content: '▁' },
    ],
  },
  pre_tokenizer: null,
  post_processor: null,
  decoder: SP_DECODER,
  model: spModel,
};
const METASPACE_JSON = {
  ...LLAMA2_JSON,
  normalizer: null,
  pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false },
};

const id = (piece: string) => SP_VOCAB[piece]!;
const byte = (b: number) => 3 + b;

describe.each([
  ['Prepend/Replace normalizer (Llama 2)', LLAMA2_JSON],
  ['Metaspace pre-tokenizer', METASPACE_JSON],
])('SentencePiece-style BPE with byte fallback: %s', (_, json) => {
  const tok = Tokenizer.fromJSON(json, { eosToken: '</s>', bosToken: '<s>' });

  it('merges whole words and resolves the special tokens', () => {
    expect(tok.encode('hello world')).toEqual([id('▁hello'), id('▁world')]);
    expect(tok.eosId).toBe(2);
    expect(tok.vocabSize).toBe(3 + 256 + PIECES.length);
  });

  it('falls back to UTF-8 bytes for characters outside the vocabulary, and decodes them back', () => {
    // "wörld": ▁w, then ö = C3 B6 as two byte tokens, then r, l, d (no merge spans the bytes).
    const ids = tok.encode('hello wörld');
    expect(ids).toEqual([id('▁hello'), id('▁w'), byte(0xc3), byte(0xb6), id('r'), id('l'), id('d')]);
    expect(tok.decode(ids)).toBe('hello wörld');
  });

  it('round-trips text with several spaces, accents and symbols byte-exactly', () => {
    for (const text of ['héllo  world!', 'world hello', '日本 hello'])
      expect(tok.decode(tok.encode(text))).toBe(text);
  });
});

// ---- Qwen2-style byte-level BPE: <|endoftext|> 0, then GPT-2's 256 byte symbols, then merges ----
describe('byte-level BPE behind a Split regex (Qwen2 / SmolLM layout)', () => {
  const symbols = Array.from({ length: 256 }, (_, b) => b)
    .map((b) => {
      const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
      return { b, printable };
    })
    .reduce<{ map: string[]; shift: number }>(
      (acc, { b, printable }) => {
        acc.map[b] = printable ? String.fromCharCode(b) : String.fromCharCode(256 + acc.shift++);
        return acc;
      },
      { map: [], shift: 0 },
    ).map;
  const vocab: Record<string, number> = { '<|endoftext|>': 0 };
  for (const s of [...symbols].sort()) vocab[s] = Object.keys(vocab).length;
  const merges = ['h e', 'l l', 'he ll', 'hell o', 'Ġ w', 'o r', 'Ġw or'];
  for (const m of merges) vocab[m.replace(' ', '')] = Object.keys(vocab).length;
  const qwen2 = {
    version: '1.0',
    added_tokens: [special(0, '<|endoftext|>')],
    normalizer: { type: 'NFC' },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        {
          type: 'Split',
          pattern: {
            Regex:
              "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
          },
          behavior: 'Isolated',
          invert: false,
        },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
      ],
    },
    post_processor: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    model: { ...spModel, unk_token: null, byte_fallback: false, fuse_unk: false, vocab, merges },
  };
  const tok = Tokenizer.fromJSON(qwen2, { eosToken: '<|endoftext|>' });

  it('splits on the regex, then merges byte symbols', () => {
    // "hello" → hello; " world" → Ġwor + l + d; "!" its byte symbol.
    expect(tok.encode('hello world!')).toEqual([vocab.hello, vocab.Ġwor, vocab.l, vocab.d, vocab['!']]);
  });

  it('round-trips any UTF-8 text byte-exactly (NFC-composed)', () => {
    for (const text of ['hello wörld', 'héllo\n\n  world 42', '日本語 hello'])
      expect(tok.decode(tok.encode(text))).toBe(text);
  });
});

describe('a Llama-layout tokenizer folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llama-tokenizer-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads with its tokenizer_config.json special tokens', async () => {
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(METASPACE_JSON));
    writeFileSync(
      join(dir, 'tokenizer_config.json'),
      JSON.stringify({ bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>', add_bos_token: true }),
    );
    const tok = await Tokenizer.fromFolder(dir);
    expect(tok.eosId).toBe(2);
    expect(tok.encode('hello')).toEqual([id('▁hello')]);
  });
});
