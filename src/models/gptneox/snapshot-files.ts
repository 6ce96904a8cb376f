/** File names and the shard index of an HF model snapshot folder (what `save_pretrained` writes). */

export const CONFIG_FILE = 'config.json';
export const SINGLE_WEIGHTS_FILE = 'model.safetensors';
export const WEIGHTS_INDEX_FILE = 'model.safetensors.index.json';
/** PyTorch zip checkpoints, read when a snapshot has no safetensors (older HF uploads). */
export const PYTORCH_WEIGHTS_FILE = 'pytorch_model.bin';
export const PYTORCH_WEIGHTS_INDEX_FILE = 'pytorch_model.bin.index.json';
/** Our PPO value head, beside (not inside) the HF weights so that HF loaders see a clean model. */
export const VALUE_HEAD_FILE = 'value_head.safetensors';
/**
 * A reward model's output normalisation, beside the HF weights: {"bias": b, …}; every reward is
 * r(x, y) − b, b being the mean reward on reference responses (the TL;DR PPO work's `config.bias`).
 * HF loaders ignore the file, so a snapshot loaded there gives the unnormalised reward.
 */
export const REWARD_NORMALIZATION_FILE = 'reward_normalization.json';
/** Tokenizer files copied along with a model. */
export const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'];
/** HF's default `max_shard_size` ("5GB"). */
export const DEFAULT_MAX_SHARD_BYTES = 5_000_000_000;
/** HF's loaders check this safetensors metadata. */
export const SAFETENSORS_METADATA = { format: 'pt' };

/** `model.safetensors.index.json` (and `pytorch_model.bin.index.json`): which shard holds each tensor. */
export interface WeightsIndex {
  metadata: { total_size: number };
  weight_map: Record<string, string>;
}

/** `model-00001-of-00003.safetensors` for shard index 0 of 3. */
export function shardFileName(index: number, count: number): string {
  const pad = (n: number) => String(n).padStart(5, '0');
  return `model-${pad(index + 1)}-of-${pad(count)}.safetensors`;
}

/** True for any weights file name a snapshot may contain (single, shard or index). */
export function isWeightsFileName(name: string): boolean {
  return (
    name === SINGLE_WEIGHTS_FILE ||
    name === WEIGHTS_INDEX_FILE ||
    /^model-\d{5}-of-\d{5}\.safetensors$/.test(name)
  );
}
