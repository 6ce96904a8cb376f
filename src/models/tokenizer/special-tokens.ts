/**
 * Which tokens play end-of-sequence, padding and beginning-of-sequence, and their ids.
 * Sources, strongest first: explicit settings, HF's `special_tokens_map.json`, `tokenizer_config.json`
 * (transformers lets the special-tokens map override the tokenizer config the same way).
 * Defaults: EOS is the first of {@link DEFAULT_EOS_CANDIDATES} in the vocabulary; PAD falls back to
 * EOS (Pythia has no pad token); BOS is absent unless configured.
 */

/** Special-token choices by content, as in HF configs (`eos_token`, `pad_token`, `bos_token`). */
export interface SpecialTokenConfig {
  eosToken?: string;
  padToken?: string;
  bosToken?: string;
}

/** The resolved ids; `bosId` is null when no BOS token is configured. */
export interface SpecialTokenIds {
  eosId: number;
  padId: number;
  bosId: number | null;
}

/** EOS spellings tried, in order, when none is configured. */
export const DEFAULT_EOS_CANDIDATES: readonly string[] = ['<|endoftext|>', '</s>', '<eos>'];

/**
 * The content of an HF special-token entry: either a plain string or a serialized AddedToken
 * object `{ "content": ..., ... }`; undefined for null / missing.
 */
export function tokenContent(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  return undefined;
}

/** Reads `eos_token` / `pad_token` / `bos_token` from one HF config object (missing keys stay undefined). */
export function specialTokensFromHfConfig(config: unknown): SpecialTokenConfig {
  if (!config || typeof config !== 'object') return {};
  const record = config as Record<string, unknown>;
  return {
    eosToken: tokenContent(record.eos_token),
    padToken: tokenContent(record.pad_token),
    bosToken: tokenContent(record.bos_token),
  };
}

/** Merges configs, later ones winning wherever they define a token. */
export function mergeSpecialTokenConfigs(...configs: SpecialTokenConfig[]): SpecialTokenConfig {
  const merged: SpecialTokenConfig = {};
  for (const config of configs) {
    if (config.eosToken !== undefined) merged.eosToken = config.eosToken;
    if (config.padToken !== undefined) merged.padToken = config.padToken;
    if (config.bosToken !== undefined) merged.bosToken = config.bosToken;
  }
  return merged;
}

type Lookup = (token: string) => number | undefined;

function requireId(role: string, token: string, lookup: Lookup): number {
  const id = lookup(token);
  if (id === undefined) throw new Error(`${role} token ${JSON.stringify(token)} is not in the vocabulary`);
  return id;
}

function defaultEosToken(lookup: Lookup): string {
  const found = DEFAULT_EOS_CANDIDATES.find((token) => lookup(token) !== undefined);
  if (found === undefined) {
    throw new Error(
      `no eos token configured and none of ${JSON.stringify(DEFAULT_EOS_CANDIDATES)} is in the vocabulary`,
    );
  }
  return found;
}

/** Resolves the configured (or default) tokens to ids; throws when a configured token is unknown. */
export function resolveSpecialTokenIds(config: SpecialTokenConfig, lookup: Lookup): SpecialTokenIds {
  const eosId = requireId('eos', config.eosToken ?? defaultEosToken(lookup), lookup);
  const padId = config.padToken === undefined ? eosId : requireId('pad', config.padToken, lookup);
  const bosId = config.bosToken === undefined ? null : requireId('bos', config.bosToken, lookup);
  return { eosId, padId, bosId };
}
