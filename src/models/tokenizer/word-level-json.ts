/**
 * Writes `tokenizer.json` objects for word-level tokenizers (HF model type `WordLevel` with the
 * `Whitespace` pre-tokenizer), the kind the synthetic lab uses: one id per whole word.
 * Ids: the special tokens first (0..k-1, also listed as special added tokens), then the unknown
 * token, then the words in the given order.
 */
import { type AddedTokenJson, specialAddedToken } from './byte-level-bpe-json.ts';

/** The `tokenizer.json` layout the Rust `tokenizers` library saves for a WordLevel model. */
export interface WordLevelTokenizerJson {
  version: '1.0';
  truncation: null;
  padding: null;
  added_tokens: AddedTokenJson[];
  normalizer: null;
  pre_tokenizer: { type: 'Whitespace' };
  post_processor: null;
  decoder: null;
  model: { type: 'WordLevel'; vocab: Record<string, number>; unk_token: string };
}

export interface WordLevelOptions {
  /** Vocabulary words; each must be one piece of the Whitespace pre-tokenizer (`\w+` or a run of punctuation). */
  words: readonly string[];
  /** Special tokens such as `<|endoftext|>` or `[PAD]`, given the first ids. */
  specialTokens?: readonly string[];
  /** Token for out-of-vocabulary words; default `[UNK]`. */
  unkToken?: string;
}

/** One Whitespace piece, with Oniguruma's Unicode `\w` (letters, marks, numbers, connector punctuation). */
const WHITESPACE_PIECE = /^(?:[\p{L}\p{M}\p{N}\p{Pc}]+|[^\p{L}\p{M}\p{N}\p{Pc}\s]+)$/u;

/** Builds a WordLevel + Whitespace `tokenizer.json` object; throws on duplicate or unsplittable words. */
export function buildWordLevelTokenizerJson(opts: WordLevelOptions): WordLevelTokenizerJson {
  const specialTokens = opts.specialTokens ?? [];
  const unkToken = opts.unkToken ?? '[UNK]';
  const vocab = new Map<string, number>();
  const add = (token: string) => {
    if (vocab.has(token))
      throw new Error(`duplicate token ${JSON.stringify(token)} in word-level vocabulary`);
    vocab.set(token, vocab.size);
  };
  for (const token of specialTokens) add(token);
  if (!vocab.has(unkToken)) add(unkToken);
  for (const word of opts.words) {
    if (!WHITESPACE_PIECE.test(word)) {
      throw new Error(`word ${JSON.stringify(word)} can never come out of the Whitespace pre-tokenizer`);
    }
    add(word);
  }
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specialTokens.map((content, id) => specialAddedToken(id, content)),
    normalizer: null,
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: null,
    decoder: null,
    model: { type: 'WordLevel', vocab: Object.fromEntries(vocab), unk_token: unkToken },
  };
}
