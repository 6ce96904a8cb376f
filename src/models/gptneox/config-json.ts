/**
 * HF `config.json` for GPT-NeoX: parsing (zod) into a GPTNeoXConfig and writing it back in HF's
 * key names. Every key that changes the computation is read; a value this implementation cannot
 * honour (rope scaling, dropout, another activation, …) and any key it does not know are errors
 * naming the key. Generic PretrainedConfig keys that never change the forward pass are accepted.
 */
import { z } from 'zod';
import { type GPTNeoXConfig, HIDDEN_ACTS, validateConfig } from './config.ts';

/** Keys of HF configs that do not affect this model's computation (bookkeeping, generation defaults, …). */
export const INERT_KEYS = new Set([
  '_name_or_path',
  'architectures',
  'transformers_version',
  'torch_dtype',
  'dtype',
  'use_cache',
  'classifier_dropout',
  'num_labels',
  'id2label',
  'label2id',
  'problem_type',
  'tokenizer_class',
  'sep_token_id',
  'decoder_start_token_id',
  'return_dict',
  'output_hidden_states',
  'output_attentions',
  'torchscript',
  'use_bfloat16',
  'is_encoder_decoder',
  'is_decoder',
  'add_cross_attention',
  'tie_encoder_decoder',
  'pruned_heads',
  'chunk_size_feed_forward',
  'finetuning_task',
  'task_specific_params',
  'prefix',
  'cross_attention_hidden_size',
  'tf_legacy_loss',
  'max_length',
  'min_length',
  'do_sample',
  'early_stopping',
  'num_beams',
  'num_beam_groups',
  'diversity_penalty',
  'temperature',
  'top_k',
  'top_p',
  'typical_p',
  'repetition_penalty',
  'length_penalty',
  'no_repeat_ngram_size',
  'encoder_no_repeat_ngram_size',
  'bad_words_ids',
  'num_return_sequences',
  'output_scores',
  'return_dict_in_generate',
  'forced_bos_token_id',
  'forced_eos_token_id',
  'remove_invalid_values',
  'exponential_decay_length_penalty',
  'suppress_tokens',
  'begin_suppress_tokens',
]);

const positiveInt = z.number().int().positive();
/** A token id in config.json, or null. Shared with the Llama family's parser. */
export const tokenId = z.number().int().nonnegative().nullable();
const fraction = z.number().gt(0).lte(1);
/** A dropout rate: inference and training here run without dropout, so only 0 is accepted. */
export const noDropout = z
  .number()
  .refine((p) => p === 0, 'dropout is not implemented here; only 0 is supported')
  .default(0);

const ropeParameters = z
  .object({
    rope_type: z.literal('default', 'only rope_type "default" (no rope scaling) is supported'),
    rope_theta: z.number().positive().optional(),
    partial_rotary_factor: fraction.optional(),
  })
  .strict();

const hfSchema = z
  .object({
    model_type: z.literal('gpt_neox', 'this loader reads GPT-NeoX configs only').optional(),
    vocab_size: positiveInt,
    hidden_size: positiveInt,
    num_hidden_layers: positiveInt,
    num_attention_heads: positiveInt,
    intermediate_size: positiveInt,
    hidden_act: z.enum(HIDDEN_ACTS).default('gelu'),
    rotary_pct: fraction.optional(),
    partial_rotary_factor: fraction.optional(),
    rotary_emb_base: z.number().positive().optional(),
    rope_theta: z.number().positive().optional(),
    rope_scaling: z.null('rope scaling is not implemented; only null is supported').optional(),
    rope_parameters: ropeParameters.optional(),
    use_parallel_residual: z.boolean().default(true),
    layer_norm_eps: z.number().positive().default(1e-5),
    attention_bias: z.boolean().default(true),
    max_position_embeddings: positiveInt.default(2048),
    tie_word_embeddings: z.boolean().default(false),
    initializer_range: z.number().positive().default(0.02),
    bos_token_id: tokenId.default(0),
    eos_token_id: tokenId.default(2),
    pad_token_id: tokenId.default(null),
    attention_dropout: noDropout,
    hidden_dropout: noDropout,
  })
  .catchall(z.unknown());

type HfConfig = z.infer<typeof hfSchema>;

/** The one value among aliases that are set (they must agree), else the default. */
function pickAlias(source: string, fallback: number, entries: [string, number | undefined][]): number {
  const set = entries.filter((e): e is [string, number] => e[1] !== undefined);
  const first = set[0];
  if (!first) return fallback;
  const clash = set.find(([, v]) => v !== first[1]);
  if (clash) throw new Error(`${source}: ${first[0]} = ${first[1]} contradicts ${clash[0]} = ${clash[1]}`);
  return first[1];
}

function rejectUnknownKeys(json: Record<string, unknown>, source: string): void {
  const known = new Set([...Object.keys(hfSchema.shape), ...INERT_KEYS]);
  const unknown = Object.keys(json).filter((k) => !known.has(k));
  if (unknown.length > 0)
    throw new Error(
      `${source}: unsupported key(s) ${unknown.map((k) => JSON.stringify(k)).join(', ')} ` +
        '(not part of the GPT-NeoX configuration this implementation understands)',
    );
}

function fromHf(hf: HfConfig, source: string): GPTNeoXConfig {
  const rope = hf.rope_parameters;
  return {
    vocabSize: hf.vocab_size,
    hiddenSize: hf.hidden_size,
    numHiddenLayers: hf.num_hidden_layers,
    numAttentionHeads: hf.num_attention_heads,
    intermediateSize: hf.intermediate_size,
    rotaryPct: pickAlias(source, 0.25, [
      ['rotary_pct', hf.rotary_pct],
      ['partial_rotary_factor', hf.partial_rotary_factor],
      ['rope_parameters.partial_rotary_factor', rope?.partial_rotary_factor],
    ]),
    rotaryEmbBase: pickAlias(source, 10000, [
      ['rotary_emb_base', hf.rotary_emb_base],
      ['rope_theta', hf.rope_theta],
      ['rope_parameters.rope_theta', rope?.rope_theta],
    ]),
    useParallelResidual: hf.use_parallel_residual,
    layerNormEps: hf.layer_norm_eps,
    hiddenAct: hf.hidden_act,
    attentionBias: hf.attention_bias,
    maxPositionEmbeddings: hf.max_position_embeddings,
    tieWordEmbeddings: hf.tie_word_embeddings,
    initializerRange: hf.initializer_range,
    bosTokenId: hf.bos_token_id,
    eosTokenId: hf.eos_token_id,
    padTokenId: hf.pad_token_id,
  };
}

/** Parses an HF GPT-NeoX config.json value; errors name `source` and every offending key. */
export function parseConfigJson(json: unknown, source = 'config.json'): GPTNeoXConfig {
  const parsed = hfSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`${source}: invalid GPT-NeoX config:\n  ${issues.join('\n  ')}`);
  }
  rejectUnknownKeys(parsed.data, source);
  return validateConfig(fromHf(parsed.data, source), source);
}

/** What to record besides the hyperparameters. */
export interface ConfigJsonExtras {
  /** HF class names, e.g. ['GPTNeoXForCausalLM']. */
  architectures: string[];
  /** Stored weight dtype, as HF spells it ('float32', 'bfloat16'). */
  torchDtype: string;
  /** Further keys (e.g. id2label for a reward model). */
  extra?: Record<string, unknown>;
}

/** The config.json object HF's `AutoConfig` reads for this configuration. */
export function toConfigJson(config: GPTNeoXConfig, extras: ConfigJsonExtras): Record<string, unknown> {
  return {
    architectures: extras.architectures,
    model_type: 'gpt_neox',
    vocab_size: config.vocabSize,
    hidden_size: config.hiddenSize,
    num_hidden_layers: config.numHiddenLayers,
    num_attention_heads: config.numAttentionHeads,
    intermediate_size: config.intermediateSize,
    hidden_act: config.hiddenAct,
    rotary_pct: config.rotaryPct,
    rotary_emb_base: config.rotaryEmbBase,
    use_parallel_residual: config.useParallelResidual,
    layer_norm_eps: config.layerNormEps,
    attention_bias: config.attentionBias,
    attention_dropout: 0,
    hidden_dropout: 0,
    max_position_embeddings: config.maxPositionEmbeddings,
    tie_word_embeddings: config.tieWordEmbeddings,
    initializer_range: config.initializerRange,
    bos_token_id: config.bosTokenId,
    eos_token_id: config.eosTokenId,
    ...(config.padTokenId === null ? {} : { pad_token_id: config.padTokenId }),
    torch_dtype: extras.torchDtype,
    use_cache: true,
    ...extras.extra,
  };
}
