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
import {
  LLAMA2_JSON,
  METASPACE_JSON,
  PIECES,
  qwen2StyleTokenizerJson,
  SP_VOCAB,
} from './llama-tokenizer-fixtures.ts';

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
  const { json: qwen2, vocab } = qwen2StyleTokenizerJson();
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
