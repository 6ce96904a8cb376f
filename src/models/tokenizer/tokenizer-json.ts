/**
 * Checks a parsed `tokenizer.json` before `@huggingface/tokenizers` sees it, and fills the parts that
 * library requires but HF files may omit. The library itself fails on such input with bare
 * TypeErrors, or silently treats an unknown model type as a plain vocabulary lookup.
 */

/** HF model types this layer accepts (`WordLevel` runs as the library's vocabulary-lookup model). */
export const SUPPORTED_MODEL_TYPES: readonly string[] = ['BPE', 'WordLevel', 'WordPiece', 'Unigram'];

const PIPELINE_KEYS = ['normalizer', 'pre_tokenizer', 'post_processor', 'decoder'] as const;

/** A `tokenizer.json` object that passed {@link prepareTokenizerJson}. */
export interface PreparedTokenizerJson {
  model: { type: string; vocab: unknown; unk_token?: unknown };
  added_tokens: unknown[];
  [key: string]: unknown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkModel(model: unknown): void {
  if (!isRecord(model)) throw new Error('tokenizer.json has no "model" object');
  if (typeof model.type !== 'string' || !SUPPORTED_MODEL_TYPES.includes(model.type)) {
    throw new Error(
      `unsupported model type ${JSON.stringify(model.type)} (supported: ${SUPPORTED_MODEL_TYPES.join(', ')})`,
    );
  }
  const vocabOk = model.type === 'Unigram' ? Array.isArray(model.vocab) : isRecord(model.vocab);
  if (!vocabOk) throw new Error(`model "${model.type}" has no valid "vocab"`);
}

/**
 * Rust `tokenizers` implements the Whitespace pre-tokenizer as the Oniguruma regex `\w+|[^\w\s]+`
 * with Unicode word characters; the JS library's Whitespace uses an ASCII-only JS `\w`, so "café"
 * would split into "caf" + "é". The equivalent Split step (which the library translates from
 * Oniguruma) restores Rust's behaviour. Applied inside Sequence steps too.
 */
export function withUnicodeWhitespace(preTokenizer: unknown): unknown {
  if (!isRecord(preTokenizer)) return preTokenizer;
  if (preTokenizer.type === 'Whitespace') {
    return { type: 'Split', pattern: { Regex: '\\w+|[^\\w\\s]+' }, behavior: 'Removed', invert: true };
  }
  if (preTokenizer.type === 'Sequence' && Array.isArray(preTokenizer.pretokenizers)) {
    return { ...preTokenizer, pretokenizers: preTokenizer.pretokenizers.map(withUnicodeWhitespace) };
  }
  return preTokenizer;
}

/**
 * Validates the structure and returns a shallow copy for the library: missing pipeline steps set to
 * null, missing `added_tokens` set to [], Whitespace pre-tokenizers made Unicode-aware (see
 * {@link withUnicodeWhitespace}); throws an Error describing the first problem.
 */
export function prepareTokenizerJson(json: unknown): PreparedTokenizerJson {
  if (!isRecord(json)) throw new Error('tokenizer.json must be a JSON object');
  checkModel(json.model);
  if (json.added_tokens !== undefined && !Array.isArray(json.added_tokens)) {
    throw new Error('"added_tokens" must be an array');
  }
  const prepared: Record<string, unknown> = { ...json, added_tokens: json.added_tokens ?? [] };
  for (const key of PIPELINE_KEYS) prepared[key] = json[key] ?? null;
  prepared.pre_tokenizer = withUnicodeWhitespace(prepared.pre_tokenizer);
  return prepared as PreparedTokenizerJson;
}

/**
 * The library-side config: exact decoding (no "clean up" of spaces before punctuation) and, for
 * WordLevel, the model's unknown token, which the library's vocabulary-lookup model only reads
 * from the config.
 */
export function libraryConfigFor(json: PreparedTokenizerJson): Record<string, unknown> {
  const config: Record<string, unknown> = { clean_up_tokenization_spaces: false };
  if (json.model.type === 'WordLevel' && typeof json.model.unk_token === 'string') {
    config.unk_token = json.model.unk_token;
  }
  return config;
}
