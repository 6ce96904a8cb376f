/**
 * The tokenizer used by every model in the project: a thin, strict layer over
 * `@huggingface/tokenizers` (HF's pure-JS port of the Rust `tokenizers` library) that loads
 * HF `tokenizer.json` files, resolves EOS/PAD/BOS, and builds padded, truncated batches.
 *
 * Differences from calling the library directly, all deliberate:
 * - no special tokens are added unless asked (`addEos`); GPT-NeoX adds none anyway;
 * - decoding is byte-exact (the library's default "clean up" of spaces before punctuation is off);
 * - unknown ids / unknown words are errors instead of being silently dropped.
 */
import { join } from 'node:path';
import { createHfTokenizer as createLibraryTokenizer, type HfTokenizer } from './hf-library.ts';
import { type Encoded, type PaddingSide, padBatch } from './padding.ts';
import {
  mergeSpecialTokenConfigs,
  resolveSpecialTokenIds,
  type SpecialTokenConfig,
  type SpecialTokenIds,
  specialTokensFromHfConfig,
} from './special-tokens.ts';
import {
  readTokenizerFolder,
  SPECIAL_TOKENS_MAP_FILE,
  TOKENIZER_CONFIG_FILE,
  TOKENIZER_FILE,
} from './tokenizer-files.ts';
import { libraryConfigFor, prepareTokenizerJson } from './tokenizer-json.ts';
import { assertMaxLength, fitRow, type TruncationSide } from './truncation.ts';

export interface EncodeOptions {
  /** Append the EOS id. */
  addEos?: boolean;
}

export interface DecodeOptions {
  /** Drop special added tokens and the EOS / PAD / BOS ids before decoding. */
  skipSpecialTokens?: boolean;
  /**
   * What to do with ids that have no token (e.g. ids from a model whose embedding is larger than
   * the tokenizer, as Pythia's 50304 rows vs 50277 tokens): 'error' (default) or 'skip'.
   */
  unknownIds?: 'error' | 'skip';
}

export interface BatchEncodeOptions {
  /** 'left' for generation prompts, 'right' for training sequences. */
  padding: PaddingSide;
  /** Longest allowed row, EOS included. */
  maxLength?: number;
  /** Cut over-long rows: 'left' keeps the end, 'right' keeps the start. Without it they are an error. */
  truncation?: TruncationSide;
  /** Append EOS to every text before truncation (so right truncation of a long text drops the EOS). */
  addEos?: boolean;
  /** Pad to `maxLength` instead of to the longest row. */
  padToMaxLength?: boolean;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Builds the library tokenizer from an unchecked `tokenizer.json` value. */
function loadHfTokenizer(tokenizerJson: unknown): HfTokenizer {
  const prepared = prepareTokenizerJson(tokenizerJson);
  try {
    return createLibraryTokenizer(prepared, libraryConfigFor(prepared));
  } catch (error) {
    throw new Error(`@huggingface/tokenizers rejected it: ${errorMessage(error)}`, { cause: error });
  }
}

function largestId(vocab: Map<string, number>): number {
  let max = -1;
  for (const id of vocab.values()) max = Math.max(max, id);
  return max;
}

function unkTokenOf(tokenizerJson: unknown): unknown {
  const model = (tokenizerJson as { model?: { unk_token?: unknown } } | null)?.model;
  return model?.unk_token;
}

function snippet(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

/** A loaded HF tokenizer with resolved special tokens. */
export class Tokenizer {
  /** Largest token id + 1 (added tokens included); a model's embedding may have more rows. */
  readonly vocabSize: number;
  readonly eosId: number;
  /** The configured pad token's id, else {@link eosId}. */
  readonly padId: number;
  readonly bosId: number | null;
  /** Id of the model's unknown token (`model.unk_token`), which unknown words become; null when none. */
  readonly unkId: number | null;
  private readonly hf: HfTokenizer;
  private readonly specialIds: ReadonlySet<number>;

  private constructor(hf: HfTokenizer, ids: SpecialTokenIds, unkToken: unknown) {
    this.hf = hf;
    this.unkId = typeof unkToken === 'string' ? (hf.token_to_id(unkToken) ?? null) : null;
    this.vocabSize = largestId(hf.get_vocab()) + 1;
    this.eosId = ids.eosId;
    this.padId = ids.padId;
    this.bosId = ids.bosId;
    const special = [...hf.get_added_tokens_decoder().values()].filter((t) => t.special).map((t) => t.id);
    this.specialIds = new Set([...special, ids.eosId, ids.padId, ...(ids.bosId === null ? [] : [ids.bosId])]);
  }

  /**
   * Loads `dir/tokenizer.json`, taking EOS/PAD/BOS from `special_tokens_map.json` or
   * `tokenizer_config.json` when present; `overrides` win over both.
   * Errors name the file that is missing or invalid.
   */
  static async fromFolder(dir: string, overrides: SpecialTokenConfig = {}): Promise<Tokenizer> {
    const files = await readTokenizerFolder(dir);
    let hf: HfTokenizer;
    try {
      hf = loadHfTokenizer(files.tokenizerJson);
    } catch (error) {
      throw new Error(`invalid ${join(dir, TOKENIZER_FILE)}: ${errorMessage(error)}`, { cause: error });
    }
    const config = mergeSpecialTokenConfigs(
      specialTokensFromHfConfig(files.tokenizerConfig),
      specialTokensFromHfConfig(files.specialTokensMap),
      overrides,
    );
    try {
      return new Tokenizer(
        hf,
        resolveSpecialTokenIds(config, (token) => hf.token_to_id(token)),
        unkTokenOf(files.tokenizerJson),
      );
    } catch (error) {
      const sources = `${TOKENIZER_CONFIG_FILE} / ${SPECIAL_TOKENS_MAP_FILE}`;
      throw new Error(`tokenizer in ${dir} (${sources}): ${errorMessage(error)}`, { cause: error });
    }
  }

  /** Builds a tokenizer from a parsed `tokenizer.json` object and optional special-token choices. */
  static fromJSON(tokenizerJson: object, config: SpecialTokenConfig = {}): Tokenizer {
    const hf = loadHfTokenizer(tokenizerJson);
    return new Tokenizer(
      hf,
      resolveSpecialTokenIds(config, (token) => hf.token_to_id(token)),
      unkTokenOf(tokenizerJson),
    );
  }

  /** Token ids of `text`; no special tokens unless `addEos`. Special-token text inside `text` maps to its id. */
  encode(text: string, opts: EncodeOptions = {}): number[] {
    const ids = this.hf.encode(text, { add_special_tokens: false }).ids;
    if (!ids.every((id) => Number.isInteger(id))) {
      throw new Error(
        `text ${snippet(text)} contains pieces that are not in the vocabulary and there is no unk token`,
      );
    }
    return opts.addEos ? [...ids, this.eosId] : ids;
  }

  /**
   * The pieces of `text` (words, for a WordLevel vocabulary) that are not in the vocabulary and
   * become the unknown token, in order; empty when there is no unknown token. The unknown token's
   * own text in `text` is not counted.
   */
  unknownPieces(text: string): string[] {
    if (this.unkId === null) return [];
    const unk = this.hf.id_to_token(this.unkId);
    const { ids, tokens } = this.hf.encode(text, { add_special_tokens: false });
    return tokens.filter((piece, i) => ids[i] === this.unkId && piece !== unk);
  }

  /** Text of `ids` (byte-exact: no whitespace clean-up). */
  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    const known = this.knownIds(ids, opts.unknownIds ?? 'error');
    const kept = opts.skipSpecialTokens ? known.filter((id) => !this.specialIds.has(id)) : known;
    if (kept.length === 0) return '';
    return this.hf.decode(kept, { clean_up_tokenization_spaces: false });
  }

  /** Encodes, fits to `maxLength` and pads `texts` into one rectangular batch. */
  batchEncode(texts: readonly string[], opts: BatchEncodeOptions): Encoded {
    if (opts.maxLength !== undefined) assertMaxLength(opts.maxLength);
    if (opts.maxLength === undefined && (opts.truncation !== undefined || opts.padToMaxLength)) {
      throw new Error('truncation and padToMaxLength need maxLength');
    }
    const rows = texts.map((text, index) =>
      fitRow(this.encode(text, { addEos: opts.addEos }), index, opts.maxLength, opts.truncation),
    );
    return padBatch(rows, opts.padding, this.padId, opts.padToMaxLength ? opts.maxLength : undefined);
  }

  /** Id of `token` (vocabulary or added token), undefined if unknown. */
  tokenToId(token: string): number | undefined {
    return this.hf.token_to_id(token);
  }

  /** Token string of `id`, undefined if unknown. */
  idToToken(id: number): string | undefined {
    return this.hf.id_to_token(id);
  }

  /** True for special added tokens and the EOS / PAD / BOS ids. */
  isSpecialId(id: number): boolean {
    return this.specialIds.has(id);
  }

  private knownIds(ids: readonly number[], unknownIds: 'error' | 'skip'): number[] {
    const known: number[] = [];
    for (const id of ids) {
      if (Number.isInteger(id) && this.hf.id_to_token(id) !== undefined) known.push(id);
      else if (unknownIds === 'error')
        throw new Error(`cannot decode id ${id}: no such token (vocabSize ${this.vocabSize})`);
    }
    return known;
  }
}
