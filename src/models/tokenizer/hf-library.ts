/**
 * Typed entry points into `@huggingface/tokenizers` (0.2.0). The package's own declaration files use
 * extensionless relative imports, which TypeScript's NodeNext resolution does not follow, so its
 * classes type as `any` (and some exports are missing) here. This file declares exactly the surface
 * this layer uses, checked against the package's `types/core/Tokenizer.d.ts`, so that mistakes
 * elsewhere are caught by the compiler.
 */
import * as library from '@huggingface/tokenizers';

/** The parts of the library's `Tokenizer` class used by this layer. */
export interface HfTokenizer {
  /** `add_special_tokens` defaults to true (the post-processor's BOS/EOS templates). */
  encode(text: string, options?: { add_special_tokens?: boolean }): { ids: number[]; tokens: string[] };
  /** Throws on an empty array; `clean_up_tokenization_spaces` defaults to the config's, else true. */
  decode(
    ids: number[],
    options?: { skip_special_tokens?: boolean; clean_up_tokenization_spaces?: boolean },
  ): string;
  token_to_id(token: string): number | undefined;
  id_to_token(id: number): string | undefined;
  get_vocab(withAddedTokens?: boolean): Map<string, number>;
  get_added_tokens_decoder(): Map<number, { id: number; content: string; special: boolean }>;
}

/** The library's ByteLevel pre-tokenizer: GPT-2's split regex, then bytes spelled as symbols. */
export interface HfByteLevelPreTokenizer {
  pre_tokenize_text(text: string): string[];
}

interface LibraryExports {
  Tokenizer: new (tokenizerJson: object, config: object) => HfTokenizer;
  ByteLevelPreTokenizer: new (config: {
    type: 'ByteLevel';
    add_prefix_space?: boolean;
    use_regex?: boolean;
  }) => HfByteLevelPreTokenizer;
}

const exports = library as unknown as LibraryExports;

/** `new Tokenizer(tokenizerJson, tokenizerConfig)` of the library. */
export function createHfTokenizer(tokenizerJson: object, config: object): HfTokenizer {
  return new exports.Tokenizer(tokenizerJson, config);
}

/** The library's ByteLevel pre-tokenizer with `add_prefix_space` off, as in GPT-NeoX. */
export function createByteLevelPreTokenizer(): HfByteLevelPreTokenizer {
  return new exports.ByteLevelPreTokenizer({ type: 'ByteLevel', add_prefix_space: false });
}
