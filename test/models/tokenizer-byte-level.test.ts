/**
 * Byte-level BPE: GPT-2's byte ↔ unicode rule, the Pythia-layout tokenizer.json builder, hand-worked
 * encodings, the merge learner on corpora whose pair counts are worked out in the comments, and
 * byte-exact round trips.
 *
 * Base ids in every builder tokenizer (worked out from the layout: `<|endoftext|>` = 0, then the
 * byte symbols sorted by code point):
 *   printable ASCII `!`(33)..`~`(126)  → id = code − 32          (`a` 65, `h` 72, `o` 79, `!` 1)
 *   `¡`(161)..`¬`(172)                 → id = 95 + (code − 161)
 *   `®`(174)..`ÿ`(255)                 → id = 107 + (code − 174)
 *   shifted bytes U+0100..U+0143       → id = 189 + (code − 256)  (`Ġ` U+0120 → 221, `Ċ` U+010A → 199)
 *   merges                             → 257, 258, ... in order
 */
import { describe, expect, it } from 'vitest';
import { BYTE_TO_UNICODE } from '../../src/models/tokenizer/byte-to-unicode.ts';
import {
  buildByteLevelBpeTokenizerJson,
  fromByteLevel,
  learnByteLevelMerges,
  type Merge,
  Tokenizer,
  toByteLevel,
} from '../../src/models/tokenizer/index.ts';

/** OpenAI's published `bytes_to_unicode`, transcribed line by line from GPT-2's encoder.py. */
function gpt2BytesToUnicode(): Map<number, string> {
  const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
  const bs = [...range(33, 127), ...range(161, 173), ...range(174, 256)];
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n);
      n += 1;
    }
  }
  return new Map(bs.map((b, i) => [b, String.fromCharCode(cs[i]!)]));
}

const HAND_MERGES: Merge[] = [
  ['h', 'e'], // 257 "he"
  ['l', 'l'], // 258 "ll"
  ['he', 'll'], // 259 "hell"
  ['Ġ', 'w'], // 260 "Ġw"
  ['o', 'r'], // 261 "or"
];

describe('GPT-2 byte-to-unicode mapping', () => {
  it('matches the published rule for all 256 bytes', () => {
    const reference = gpt2BytesToUnicode();
    expect(BYTE_TO_UNICODE).toHaveLength(256);
    for (let byte = 0; byte < 256; byte++) expect(BYTE_TO_UNICODE[byte]).toBe(reference.get(byte));
  });

  it('keeps the 188 printable bytes and shifts the other 68 to U+0100.. in byte order', () => {
    const kept = BYTE_TO_UNICODE.filter((symbol, byte) => symbol.codePointAt(0) === byte);
    expect(kept).toHaveLength(94 + 12 + 82);
    expect([0x21, 0x7e, 0xa1, 0xac, 0xae, 0xff].map((b) => BYTE_TO_UNICODE[b])).toEqual([
      '!',
      '~',
      '¡',
      '¬',
      '®',
      'ÿ',
    ]);
    // Shifted bytes in order: 0x00..0x20 (33), 0x7f..0xa0 (34), 0xad (1).
    expect(BYTE_TO_UNICODE[0x00]).toBe('\u0100');
    expect(BYTE_TO_UNICODE[0x0a]).toBe('Ċ'); // U+010A
    expect(BYTE_TO_UNICODE[0x20]).toBe('Ġ'); // U+0120: index 32
    expect(BYTE_TO_UNICODE[0x7f]).toBe('\u0121'); // index 33
    expect(BYTE_TO_UNICODE[0xa0]).toBe('\u0142'); // index 33 + 33 = 66
    expect(BYTE_TO_UNICODE[0xad]).toBe('\u0143'); // index 67, the last
    expect(new Set(BYTE_TO_UNICODE).size).toBe(256);
  });

  it('spells UTF-8 bytes as symbols and back', () => {
    // " hé\n": 0x20 → Ġ, h, é = C3 A9 → "Ã©", 0x0A → Ċ
    expect(toByteLevel(' hé\n')).toBe('ĠhÃ©Ċ');
    expect(fromByteLevel('ĠhÃ©Ċ')).toBe(' hé\n');
    expect(() => fromByteLevel('a b')).toThrow(/not a byte-level symbol: " "/);
  });
});

describe('buildByteLevelBpeTokenizerJson', () => {
  it("has the layout of EleutherAI/pythia's tokenizer.json", () => {
    const json = buildByteLevelBpeTokenizerJson({ merges: HAND_MERGES });
    expect(Object.keys(json)).toEqual([
      'version',
      'truncation',
      'padding',
      'added_tokens',
      'normalizer',
      'pre_tokenizer',
      'post_processor',
      'decoder',
      'model',
    ]);
    expect(json.added_tokens).toEqual([
      {
        id: 0,
        special: true,
        content: '<|endoftext|>',
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
      },
    ]);
    expect(json.normalizer).toEqual({ type: 'NFC' });
    const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true };
    expect([json.pre_tokenizer, json.post_processor, json.decoder]).toEqual([
      byteLevel,
      byteLevel,
      byteLevel,
    ]);
    expect(Object.keys(json.model)).toEqual([
      'type',
      'dropout',
      'unk_token',
      'continuing_subword_prefix',
      'end_of_word_suffix',
      'fuse_unk',
      'vocab',
      'merges',
    ]);
    expect(json.model.merges).toEqual(['h e', 'l l', 'he ll', 'Ġ w', 'o r']);
  });

  it('numbers <|endoftext|>, the byte symbols by code point, then merges', () => {
    const { vocab } = buildByteLevelBpeTokenizerJson({ merges: HAND_MERGES }).model;
    expect(Object.keys(vocab)).toHaveLength(1 + 256 + 5);
    expect(Object.values(vocab).sort((a, b) => a - b)).toEqual(Array.from({ length: 262 }, (_, i) => i));
    expect(vocab).toMatchObject({ '<|endoftext|>': 0, '!': 1, a: 65, '~': 94, '¡': 95, '®': 107, ÿ: 188 });
    expect(vocab).toMatchObject({ '\u0100': 189, Ċ: 199, Ġ: 221, '\u0143': 256 });
    expect(vocab).toMatchObject({ he: 257, ll: 258, hell: 259, Ġw: 260, or: 261 });
  });

  it('rejects a merge whose part does not exist yet', () => {
    expect(() => buildByteLevelBpeTokenizerJson({ merges: [['ab', 'c']] })).toThrow(
      /merge 0.*"ab" is not in the vocabulary/,
    );
  });

  it('puts extra special tokens after the merges, as added tokens only', () => {
    const json = buildByteLevelBpeTokenizerJson({ merges: HAND_MERGES, extraSpecialTokens: ['[PAD]'] });
    expect(json.added_tokens[1]).toMatchObject({ id: 262, content: '[PAD]', special: true });
    expect(json.model.vocab['[PAD]']).toBeUndefined();
    expect(() => buildByteLevelBpeTokenizerJson({ extraSpecialTokens: ['a'] })).toThrow(
      /already in the vocabulary/,
    );
  });
});

describe('encoding with hand-chosen merges', () => {
  const tokenizer = Tokenizer.fromJSON(buildByteLevelBpeTokenizerJson({ merges: HAND_MERGES }));

  it('encodes "hello world" to the hand-worked ids', () => {
    // Pre-tokens "hello", " world".
    // "hello": h e l l o → (he, rank 0) he l l o → (ll, rank 1) he ll o → (hell, rank 2) hell o = [259, 79]
    // " world": Ġ w o r l d → (Ġw, rank 3) Ġw o r l d → (or, rank 4) Ġw or l d = [260, 261, 76, 68]
    expect(tokenizer.encode('hello world')).toEqual([259, 79, 260, 261, 76, 68]);
    expect(tokenizer.encode('hello world', { addEos: true })).toEqual([259, 79, 260, 261, 76, 68, 0]);
  });

  it('applies merges by rank, not left to right', () => {
    const bcFirst = Tokenizer.fromJSON(
      buildByteLevelBpeTokenizerJson({
        merges: [
          ['b', 'c'],
          ['a', 'b'],
        ],
      }),
    );
    const abFirst = Tokenizer.fromJSON(
      buildByteLevelBpeTokenizerJson({
        merges: [
          ['a', 'b'],
          ['b', 'c'],
        ],
      }),
    );
    expect(bcFirst.encode('abc')).toEqual([65, 257]); // a + "bc"; "ab" can no longer form
    expect(abFirst.encode('abc')).toEqual([257, 67]); // "ab" + c
  });

  it('spells non-ASCII text byte by byte when no merge applies', () => {
    // é = C3 A9: Ã (195) → 107 + 21 = 128, © (169) → 95 + 8 = 103
    expect(tokenizer.encode('é')).toEqual([128, 103]);
    // 🤗 = F0 9F A4 97: ð (240) → 107 + 66 = 173; 0x9F is shifted byte #33 + 32 = 65 → 189 + 65 = 254;
    // ¤ (164) → 95 + 3 = 98; 0x97 is shifted byte #33 + 24 = 57 → 246
    expect(tokenizer.encode('🤗')).toEqual([173, 254, 98, 246]);
  });

  it('maps special-token text inside the input to its id, like HF tokenizers', () => {
    expect(tokenizer.encode('a<|endoftext|>b')).toEqual([65, 0, 66]);
  });
});

describe('learnByteLevelMerges', () => {
  it('merges the most frequent pair, counting repeated words', () => {
    // Pre-tokens: "aa", " aa", " aa", " bb" → pairs (a,a) 3, (Ġ,a) 2, (Ġ,b) 1, (b,b) 1.
    // 1: (a,a). Words aa | Ġ aa ×2 | Ġ b b → (Ġ,aa) 2, (Ġ,b) 1, (b,b) 1.
    // 2: (Ġ,aa). Then (Ġ,b) 1 and (b,b) 1 tie: "b" (U+0062) sorts before "Ġ" (U+0120).
    // 3: (b,b). 4: (Ġ,bb). Nothing left, so a request for 10 yields 4.
    expect(learnByteLevelMerges(['aa aa aa bb'], 10)).toEqual([
      ['a', 'a'],
      ['Ġ', 'aa'],
      ['b', 'b'],
      ['Ġ', 'bb'],
    ]);
  });

  it('merges non-overlapping occurrences left to right', () => {
    // "aaa": (a,a) counts 2 → merged once from the left: aa a; then (aa,a).
    expect(learnByteLevelMerges(['aaa'], 5)).toEqual([
      ['a', 'a'],
      ['aa', 'a'],
    ]);
  });

  it('stops at the requested number and rejects a bad count', () => {
    expect(learnByteLevelMerges(['aa aa aa bb'], 1)).toEqual([['a', 'a']]);
    expect(() => learnByteLevelMerges(['x'], -1)).toThrow(/non-negative integer/);
  });

  it('yields a tokenizer that compresses its corpus', () => {
    const corpus = ['the cat sat on the mat. the dog sat on the log.'];
    const tokenizer = Tokenizer.fromJSON(buildByteLevelBpeTokenizerJson({ corpus, numMerges: 30 }));
    expect(tokenizer.encode(corpus[0]!).length).toBeLessThan(corpus[0]!.length / 2);
    expect(() => buildByteLevelBpeTokenizerJson({ corpus })).toThrow(/numMerges is required/);
  });
});

describe('round trips', () => {
  const samples = [
    'Plain ASCII, with punctuation: "quotes" (parens) & numbers 12345!',
    'Accents: café, naïve, déjà vu, Ærøskøbing, ß',
    'Emoji: 🤗 👍🏽 👨‍👩‍👧 and CJK 中文',
    'Lines\nand\n\nblank lines\r\nwith\ttabs   and   spaces  ',
    ' leading space',
    '',
  ];
  const learned = buildByteLevelBpeTokenizerJson({ corpus: samples, numMerges: 60 });
  const tokenizers = { 'no merges': buildByteLevelBpeTokenizerJson(), learned };

  for (const [name, json] of Object.entries(tokenizers)) {
    it(`decode(encode(s)) == s with ${name}`, () => {
      const tokenizer = Tokenizer.fromJSON(json);
      for (const text of samples) expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
    });
  }

  it('does not "clean up" spaces before punctuation', () => {
    const tokenizer = Tokenizer.fromJSON(learned);
    expect(tokenizer.decode(tokenizer.encode("Hello , world ! it ' s"))).toBe("Hello , world ! it ' s");
  });

  it('normalizes to NFC first (as Pythia does), so decomposed accents come back composed', () => {
    const tokenizer = Tokenizer.fromJSON(learned);
    expect(tokenizer.decode(tokenizer.encode('cafe\u0301'))).toBe('caf\u00e9');
  });
});

describe('decode', () => {
  const tokenizer = Tokenizer.fromJSON(
    buildByteLevelBpeTokenizerJson({ merges: HAND_MERGES, extraSpecialTokens: ['[PAD]'] }),
    {
      padToken: '[PAD]',
    },
  );

  it('returns "" for no ids', () => {
    expect(tokenizer.decode([])).toBe('');
  });

  it('keeps or skips special tokens', () => {
    const ids = [262, 259, 79, 0, 262]; // [PAD] hell o <|endoftext|> [PAD]
    expect(tokenizer.decode(ids)).toBe('[PAD]hello<|endoftext|>[PAD]');
    expect(tokenizer.decode(ids, { skipSpecialTokens: true })).toBe('hello');
    expect(tokenizer.decode([262, 262], { skipSpecialTokens: true })).toBe('');
  });

  it('rejects ids without a token unless asked to skip them', () => {
    expect(tokenizer.vocabSize).toBe(263);
    expect(() => tokenizer.decode([259, 263])).toThrow(/cannot decode id 263/);
    expect(() => tokenizer.decode([-1])).toThrow(/cannot decode id -1/);
    expect(tokenizer.decode([259, 50000, 79], { unknownIds: 'skip' })).toBe('hello');
  });

  it('looks tokens up both ways', () => {
    expect(tokenizer.tokenToId('hell')).toBe(259);
    expect(tokenizer.tokenToId('[PAD]')).toBe(262);
    expect(tokenizer.tokenToId('nope')).toBeUndefined();
    expect(tokenizer.idToToken(260)).toBe('Ġw');
    expect(tokenizer.isSpecialId(262)).toBe(true);
    expect(tokenizer.isSpecialId(259)).toBe(false);
  });
});
