/**
 * Small tokenizer.json files in the Llama family's layouts, built by hand (no download): a
 * SentencePiece-style BPE with byte fallback (Llama 2: Prepend/Replace normaliser; newer files: a
 * Metaspace pre-tokenizer) and a Qwen2-style byte-level BPE behind a Split regex. Used by
 * tokenizer-llama-qwen2.test.ts and by scripts/tokenizer-side-check.ts (the Rust library on the same files).
 */
export const special = (id: number, content: string) => ({
  id,
  content,
  single_word: false,
  lstrip: false,
  rstrip: false,
  normalized: false,
  special: true,
});

// ---- SentencePiece-style: <unk> 0, <s> 1, </s> 2, <0x00>..<0xFF> 3..258, then the pieces ----
export const BYTE_TOKENS = Array.from(
  { length: 256 },
  (_, i) => `<0x${i.toString(16).toUpperCase().padStart(2, '0')}>`,
);
export const PIECES = [
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
export const SP_VOCAB: Record<string, number> = { '<unk>': 0, '<s>': 1, '</s>': 2 };
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
export const LLAMA2_JSON = {
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
export const METASPACE_JSON = {
  ...LLAMA2_JSON,
  normalizer: null,
  pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false },
};

/** Qwen2-style byte-level BPE: <|endoftext|> 0, then GPT-2's 256 byte symbols, then the merges. */
export function qwen2StyleTokenizerJson(): { json: object; vocab: Record<string, number> } {
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
  return { json: qwen2, vocab };
}
