/** Tokenizer layer: HF `tokenizer.json` loading via `@huggingface/tokenizers`, batching, tiny test tokenizers. */

export {
  type AddedTokenJson,
  type ByteLevelBpeOptions,
  type ByteLevelBpeTokenizerJson,
  buildByteLevelBpeTokenizerJson,
  ENDOFTEXT,
} from './byte-level-bpe-json.ts';
export { fromByteLevel, toByteLevel } from './byte-to-unicode.ts';
export { learnByteLevelMerges, type Merge } from './merge-learner.ts';
export type { Encoded, PaddingSide } from './padding.ts';
export { DEFAULT_EOS_CANDIDATES, type SpecialTokenConfig, type SpecialTokenIds } from './special-tokens.ts';
export { type BatchEncodeOptions, type DecodeOptions, type EncodeOptions, Tokenizer } from './tokenizer.ts';
export type { TokenizerFolderConfig } from './tokenizer-files.ts';
export { SUPPORTED_MODEL_TYPES } from './tokenizer-json.ts';
export type { TruncationSide } from './truncation.ts';
export {
  buildWordLevelTokenizerJson,
  type WordLevelOptions,
  type WordLevelTokenizerJson,
} from './word-level-json.ts';
export { writeTokenizerFolder } from './write-tokenizer-folder.ts';
