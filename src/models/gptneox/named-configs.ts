/**
 * Named model sizes: two tiny test/demo configurations whose vocabulary comes from the tokenizer,
 * and the published Pythia suite (EleutherAI/pythia-*, hyperparameters from their config.json files).
 */
import type { GPTNeoXConfig } from './config.ts';

/** Sizes that define a named configuration; the rest is Pythia's common settings. */
interface NamedSize {
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  /** A fixed embedding size, or 'tokenizer' to use the tokenizer's vocabulary size. */
  vocabSize: number | 'tokenizer';
}

const PYTHIA_SIZES = {
  'pythia-tiny': {
    hiddenSize: 64,
    numHiddenLayers: 2,
    numAttentionHeads: 4,
    intermediateSize: 256,
    vocabSize: 'tokenizer',
  },
  'pythia-small': {
    hiddenSize: 512,
    numHiddenLayers: 6,
    numAttentionHeads: 8,
    intermediateSize: 2048,
    vocabSize: 'tokenizer',
  },
  'pythia-14m': {
    hiddenSize: 128,
    numHiddenLayers: 6,
    numAttentionHeads: 4,
    intermediateSize: 512,
    vocabSize: 50304,
  },
  'pythia-70m': {
    hiddenSize: 512,
    numHiddenLayers: 6,
    numAttentionHeads: 8,
    intermediateSize: 2048,
    vocabSize: 50304,
  },
  'pythia-160m': {
    hiddenSize: 768,
    numHiddenLayers: 12,
    numAttentionHeads: 12,
    intermediateSize: 3072,
    vocabSize: 50304,
  },
  'pythia-410m': {
    hiddenSize: 1024,
    numHiddenLayers: 24,
    numAttentionHeads: 16,
    intermediateSize: 4096,
    vocabSize: 50304,
  },
  'pythia-1b': {
    hiddenSize: 2048,
    numHiddenLayers: 16,
    numAttentionHeads: 8,
    intermediateSize: 8192,
    vocabSize: 50304,
  },
  'pythia-1.4b': {
    hiddenSize: 2048,
    numHiddenLayers: 24,
    numAttentionHeads: 16,
    intermediateSize: 8192,
    vocabSize: 50304,
  },
  'pythia-2.8b': {
    hiddenSize: 2560,
    numHiddenLayers: 32,
    numAttentionHeads: 32,
    intermediateSize: 10240,
    vocabSize: 50304,
  },
  'pythia-6.9b': {
    hiddenSize: 4096,
    numHiddenLayers: 32,
    numAttentionHeads: 32,
    intermediateSize: 16384,
    vocabSize: 50432,
  },
  'pythia-12b': {
    hiddenSize: 5120,
    numHiddenLayers: 36,
    numAttentionHeads: 40,
    intermediateSize: 20480,
    vocabSize: 50688,
  },
} satisfies Record<string, NamedSize>;

export type NamedConfig = keyof typeof PYTHIA_SIZES;
export const NAMED_CONFIGS = Object.keys(PYTHIA_SIZES) as NamedConfig[];

/** Accepts 'pythia-70m' or '70m'. */
function lookup(name: string): NamedSize {
  const key = (name.startsWith('pythia-') ? name : `pythia-${name}`) as NamedConfig;
  const size = (PYTHIA_SIZES as Record<string, NamedSize>)[key];
  if (!size) throw new Error(`unknown model config "${name}"; known: ${NAMED_CONFIGS.join(', ')}`);
  return size;
}

/**
 * The full configuration of a named size. `tokenizerVocabSize` sets the tiny configs' vocabulary
 * and must fit in a fixed one (Pythia's embeddings have more rows than its tokenizer has tokens).
 */
export function namedConfig(name: string, tokenizerVocabSize: number, eosTokenId = 0): GPTNeoXConfig {
  const size = lookup(name);
  const vocabSize = size.vocabSize === 'tokenizer' ? tokenizerVocabSize : size.vocabSize;
  if (tokenizerVocabSize > vocabSize)
    throw new Error(
      `${name}: the tokenizer has ${tokenizerVocabSize} tokens but the model only ${vocabSize}`,
    );
  return {
    vocabSize,
    hiddenSize: size.hiddenSize,
    numHiddenLayers: size.numHiddenLayers,
    numAttentionHeads: size.numAttentionHeads,
    intermediateSize: size.intermediateSize,
    rotaryPct: 0.25,
    rotaryEmbBase: 10000,
    useParallelResidual: true,
    layerNormEps: 1e-5,
    hiddenAct: 'gelu',
    attentionBias: true,
    maxPositionEmbeddings: 2048,
    tieWordEmbeddings: false,
    initializerRange: 0.02,
    bosTokenId: eosTokenId,
    eosTokenId,
    padTokenId: null,
  };
}
