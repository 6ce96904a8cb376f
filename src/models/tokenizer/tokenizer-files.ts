/**
 * HF tokenizer folders on disk: `tokenizer.json` (required) plus the optional `tokenizer_config.json`
 * and `special_tokens_map.json` that name the special tokens.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const TOKENIZER_FILE = 'tokenizer.json';
export const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';
export const SPECIAL_TOKENS_MAP_FILE = 'special_tokens_map.json';

/** The parsed files of a tokenizer folder (the optional ones undefined when absent). */
export interface TokenizerFolderFiles {
  tokenizerJson: unknown;
  tokenizerConfig?: unknown;
  specialTokensMap?: unknown;
}

/** Special tokens and extras written to `tokenizer_config.json` / `special_tokens_map.json`. */
export interface TokenizerFolderConfig {
  eosToken: string;
  padToken?: string;
  bosToken?: string;
  unkToken?: string;
  /** transformers class name; default `PreTrainedTokenizerFast`, which works for any `tokenizer.json`. */
  tokenizerClass?: string;
  modelMaxLength?: number;
}

function isMissingFile(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/** Parses the JSON file at `path`; undefined if it is absent and `optional`; errors name the path. */
export async function readJsonFile(path: string, optional: boolean): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (isMissingFile(error)) {
      if (optional) return undefined;
      throw new Error(`tokenizer file not found: ${path}`);
    }
    throw new Error(`cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new Error(`invalid JSON in ${path}: ${(error as Error).message}`);
  }
}

/** Reads the three files of an HF tokenizer folder. */
export async function readTokenizerFolder(dir: string): Promise<TokenizerFolderFiles> {
  const [tokenizerJson, tokenizerConfig, specialTokensMap] = await Promise.all([
    readJsonFile(join(dir, TOKENIZER_FILE), false),
    readJsonFile(join(dir, TOKENIZER_CONFIG_FILE), true),
    readJsonFile(join(dir, SPECIAL_TOKENS_MAP_FILE), true),
  ]);
  return { tokenizerJson, tokenizerConfig, specialTokensMap };
}

/** `special_tokens_map.json` content: only the tokens that are set. */
export function specialTokensMapJson(config: TokenizerFolderConfig): Record<string, string> {
  const map: Record<string, string> = {};
  if (config.bosToken !== undefined) map.bos_token = config.bosToken;
  map.eos_token = config.eosToken;
  if (config.unkToken !== undefined) map.unk_token = config.unkToken;
  if (config.padToken !== undefined) map.pad_token = config.padToken;
  return map;
}

/** `tokenizer_config.json` content in transformers' layout. */
export function tokenizerConfigJson(config: TokenizerFolderConfig): Record<string, unknown> {
  return {
    ...specialTokensMapJson(config),
    clean_up_tokenization_spaces: false,
    ...(config.modelMaxLength !== undefined ? { model_max_length: config.modelMaxLength } : {}),
    tokenizer_class: config.tokenizerClass ?? 'PreTrainedTokenizerFast',
  };
}

/** Writes `tokenizer.json`, `tokenizer_config.json` and `special_tokens_map.json` into `dir` (created if needed). */
export async function writeTokenizerFiles(
  dir: string,
  tokenizerJson: object,
  config: TokenizerFolderConfig,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const write = (name: string, value: unknown) =>
    writeFile(join(dir, name), `${JSON.stringify(value, null, 2)}\n`);
  await write(TOKENIZER_FILE, tokenizerJson);
  await write(TOKENIZER_CONFIG_FILE, tokenizerConfigJson(config));
  await write(SPECIAL_TOKENS_MAP_FILE, specialTokensMapJson(config));
}
