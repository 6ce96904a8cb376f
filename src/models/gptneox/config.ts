/**
 * The GPT-NeoX hyperparameters this implementation understands, named as in HF's `GPTNeoXConfig`
 * (camelCase here, snake_case in config.json; see config-json.ts for the file format).
 */

/** Activations of the MLP: exact (erf) GELU, or one of HF's tanh approximations. */
export const HIDDEN_ACTS = ['gelu', 'gelu_new', 'gelu_fast', 'gelu_pytorch_tanh'] as const;
export type HiddenAct = (typeof HIDDEN_ACTS)[number];

export interface GPTNeoXConfig {
  vocabSize: number;
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  /** Fraction of each head's dims that get rotary embeddings (Pythia: 0.25). */
  rotaryPct: number;
  /** Rotary base θ (Pythia: 10000). */
  rotaryEmbBase: number;
  /** true: x + attn(ln1(x)) + mlp(ln2(x)); false: h = x + attn(ln1(x)); h + mlp(ln2(h)). */
  useParallelResidual: boolean;
  layerNormEps: number;
  hiddenAct: HiddenAct;
  /** Biases on query_key_value and attention.dense. */
  attentionBias: boolean;
  maxPositionEmbeddings: number;
  /** Whether embed_out shares gpt_neox.embed_in's matrix (Pythia: false). */
  tieWordEmbeddings: boolean;
  initializerRange: number;
  bosTokenId: number | null;
  eosTokenId: number | null;
  padTokenId: number | null;
}

/** Width of one attention head. */
export function headDim(config: GPTNeoXConfig): number {
  return config.hiddenSize / config.numAttentionHeads;
}

/** Leading dims of each head that receive rotary embeddings: int(head_dim · rotary_pct), as HF. */
export function rotaryNdims(config: GPTNeoXConfig): number {
  return Math.floor(headDim(config) * config.rotaryPct);
}

/** GELU flavour for Tensor.gelu: HF's gelu_new / gelu_fast / gelu_pytorch_tanh are the tanh form. */
export function geluApproximation(act: HiddenAct): 'none' | 'tanh' {
  return act === 'gelu' ? 'none' : 'tanh';
}

/** Throws naming the offending key when the sizes cannot make a GPT-NeoX model. */
export function validateConfig(config: GPTNeoXConfig, source = 'config'): GPTNeoXConfig {
  const fail = (key: string, why: string): never => {
    throw new Error(`${source}: ${key}: ${why}`);
  };
  if (config.hiddenSize % config.numAttentionHeads !== 0)
    fail(
      'hidden_size',
      `${config.hiddenSize} is not divisible by num_attention_heads ${config.numAttentionHeads}`,
    );
  const rot = rotaryNdims(config);
  if (rot % 2 !== 0)
    fail(
      'rotary_pct',
      `gives an odd rotary width ${rot} (head_dim ${headDim(config)} × ${config.rotaryPct})`,
    );
  for (const [key, id] of [
    ['bos_token_id', config.bosTokenId],
    ['eos_token_id', config.eosTokenId],
    ['pad_token_id', config.padTokenId],
  ] as const) {
    if (id !== null && (id < 0 || id >= config.vocabSize))
      fail(key, `${id} is outside the vocabulary (${config.vocabSize})`);
  }
  return config;
}

/** Number of parameters of the causal LM (embed_out counted once when tied). */
export function countParameters(config: GPTNeoXConfig): number {
  const h = config.hiddenSize;
  const attnBias = config.attentionBias ? 4 * h : 0;
  const layer =
    4 * h + 3 * h * h + h * h + attnBias + 2 * h * config.intermediateSize + config.intermediateSize + h;
  const embeddings = config.vocabSize * h * (config.tieWordEmbeddings ? 1 : 2);
  return embeddings + config.numHiddenLayers * layer + 2 * h;
}
