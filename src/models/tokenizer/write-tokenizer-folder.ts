/** Saving a tokenizer as an HF tokenizer folder that this layer, transformers and `tokenizers` all load. */
import { Tokenizer } from './tokenizer.ts';
import { type TokenizerFolderConfig, writeTokenizerFiles } from './tokenizer-files.ts';

/**
 * Writes `dir/tokenizer.json`, `dir/tokenizer_config.json` and `dir/special_tokens_map.json`.
 * The tokenizer is loaded first, so a broken `tokenizerJson` or a special token missing from its
 * vocabulary is an error and nothing is written.
 */
export async function writeTokenizerFolder(
  dir: string,
  tokenizerJson: object,
  config: TokenizerFolderConfig,
): Promise<void> {
  const tokenizer = Tokenizer.fromJSON(tokenizerJson, config);
  if (config.unkToken !== undefined && tokenizer.tokenToId(config.unkToken) === undefined) {
    throw new Error(`unk token ${JSON.stringify(config.unkToken)} is not in the vocabulary`);
  }
  await writeTokenizerFiles(dir, tokenizerJson, config);
}
