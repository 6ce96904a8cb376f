/**
 * Writing a randomly initialised model as an HF snapshot folder: config.json, safetensors weights
 * (HF's initialisation, seeded) and a tokenizer (the one given, else a byte-level BPE with no merges:
 * `<|endoftext|>` and the 256 bytes, Pythia's layout).
 */
import { Generator } from '../../tensor/index.ts';
import { type GPTNeoXConfig, validateConfig } from '../gptneox/config.ts';
import { namedConfig } from '../gptneox/named-configs.ts';
import {
  isLlamaNamedConfig,
  type LlamaConfig,
  llamaNamedConfig,
  validateLlamaConfig,
} from '../llama/config.ts';
import { causalLMFor, countModelParameters, initModelStateDict, type ModelConfig } from '../model-family.ts';
import { buildByteLevelBpeTokenizerJson, Tokenizer, writeTokenizerFolder } from '../tokenizer/index.ts';

export interface InitModelOptions {
  seed: number;
  /** A parsed tokenizer.json; default: byte-level BPE without merges (257 tokens). */
  tokenizerJson?: object;
  /** Changes to the named configuration (e.g. { useParallelResidual: false }). */
  overrides?: Partial<GPTNeoXConfig> | Partial<LlamaConfig>;
  dtype?: 'float32' | 'bfloat16';
  /** Shard the weights above this many bytes. */
  maxShardBytes?: number;
  /** Where the weights are drawn, by that device's generator (default cpu). */
  device?: string;
}

export interface InitModelResult {
  config: ModelConfig;
  parameterCount: number;
}

/** Writes a freshly initialised `configName` model with its tokenizer into `outDir`. */
export async function initModel(
  configName: string,
  outDir: string,
  opts: InitModelOptions,
): Promise<InitModelResult> {
  const tokenizerJson = opts.tokenizerJson ?? buildByteLevelBpeTokenizerJson();
  const tokenizer = Tokenizer.fromJSON(tokenizerJson);
  const config: ModelConfig = isLlamaNamedConfig(configName)
    ? validateLlamaConfig(
        {
          ...llamaNamedConfig(configName, tokenizer.vocabSize, tokenizer.eosId),
          ...opts.overrides,
        } as LlamaConfig,
        configName,
      )
    : validateConfig(
        {
          ...namedConfig(configName, tokenizer.vocabSize, tokenizer.eosId),
          ...opts.overrides,
        } as GPTNeoXConfig,
        configName,
      );
  const device = opts.device ?? 'cpu';
  const model = causalLMFor(
    config,
    initModelStateDict(config, 'causal-lm', new Generator(opts.seed, device), { device }),
  );
  try {
    await model.save(outDir, { dtype: opts.dtype, maxShardBytes: opts.maxShardBytes });
  } finally {
    model.dispose();
  }
  const eosToken = tokenizer.idToToken(tokenizer.eosId)!;
  await writeTokenizerFolder(outDir, tokenizerJson, {
    eosToken,
    modelMaxLength: config.maxPositionEmbeddings,
  });
  return { config, parameterCount: countModelParameters(config) };
}
