/**
 * Public API of the models: GPT-NeoX / Pythia and Llama / Qwen2 models (HF-compatible configs,
 * checkpoints and heads), the family dispatch, sampling, and the tokenizer.
 */

export { type InitModelOptions, type InitModelResult, initModel } from './checkpoint/init-model.ts';
export {
  type LoadOptions,
  loadCausalLM,
  loadConfig,
  loadOrInitValueHead,
  loadRewardModel,
  loadStateDict,
  type RewardModelLoadOptions,
} from './checkpoint/load-model.ts';
export { type MergeAdapterArgs, mergeAdapterFolder } from './checkpoint/merge-adapter.ts';
export { type RunInitModelArgs, runInitModel } from './checkpoint/run-init-model.ts';
export {
  countParameters,
  type GPTNeoXConfig,
  HIDDEN_ACTS,
  type HiddenAct,
  headDim,
  rotaryNdims,
  validateConfig,
} from './gptneox/config.ts';
export { type ConfigJsonExtras, parseConfigJson, toConfigJson } from './gptneox/config-json.ts';
export { type InitOptions, initParameter, initStateDict } from './gptneox/init.ts';
export {
  allocateStaticCache,
  type CacheShape,
  type CausalLMForwardOptions,
  type CausalLMOutput,
  cacheLength,
  disposeCache,
  GPTNeoXForCausalLM,
  GPTNeoXModel,
  GPTNeoXRewardModel,
  type KVCache,
  type LayerCache,
  Linear,
  lastTokenIndex,
  positionIdsFromMask,
  type ResponseScoreOptions,
  type ResponseScores,
  responseLogProbs,
  type StaticCacheWrite,
  staticCacheBytes,
  type Trunk,
  type TrunkOptions,
  type TrunkOutput,
  type TrunkWithLMHead,
  targetLogProbs,
  writeRewardNormalization,
} from './gptneox/model.ts';
export { NAMED_CONFIGS, type NamedConfig, namedConfig } from './gptneox/named-configs.ts';
export {
  causalLMShapes,
  isIgnoredBuffer,
  type ModelKind,
  type ParameterShapes,
  rewardModelShapes,
  SCORE_HEAD,
  type StateDict,
  shapesFor,
  trunkShapes,
} from './gptneox/parameter-layout.ts';
export * from './gptneox/snapshot-files.ts';
export { StateDictMismatchError, type StateDictProblems } from './gptneox/state-dict-check.ts';
export { VALUE_HEAD_BIAS, VALUE_HEAD_WEIGHT, ValueHead } from './gptneox/value-head.ts';
export { type SaveOptions, type SnapshotContent, writeSnapshot } from './gptneox/write-snapshot.ts';
export type { HasNamedLinears, LinearAdapter } from './linear.ts';
export {
  isLlamaConfig,
  isLlamaNamedConfig,
  LLAMA_ATTENTION_LINEARS,
  LLAMA_FAMILY,
  LLAMA_MLP_LINEARS,
  LLAMA_NAMED_CONFIGS,
  type LlamaConfig,
  type LlamaModelType,
  llamaNamedConfig,
  llamaShapesFor,
  parseLlamaConfigJson,
  type RopeScaling,
  toLlamaConfigJson,
} from './llama/config.ts';
export {
  LlamaAttention,
  LlamaDecoderLayer,
  LlamaForCausalLM,
  LlamaMLP,
  LlamaModel,
  LlamaRewardModel,
  llamaInverseFrequencies,
  RMSNorm,
} from './llama/model.ts';
export * from './lora/index.ts';
export {
  type CausalLM,
  causalLMFor,
  countModelParameters,
  familyOf,
  initModelStateDict,
  type ModelConfig,
  type ModelFamily,
  modelShapes,
  parseAnyConfigJson,
  type RewardModel,
  rewardModelFor,
  rotaryWidth,
} from './model-family.ts';
export { assertFiniteWeights, assertPositionsFit, assertVocabularyFits } from './model-limits.ts';
export { type GenerateOptions, type Generation, generate, type Prompts } from './sampling/generate.ts';
export { keepTopK, keepTopP, processLogits, type SamplingSettings } from './sampling/logits-processing.ts';
export { type GeneratedRecord, type RunGenerateArgs, runGenerate } from './sampling/run-generate.ts';
export { type SampleKey, samplingNoise } from './sampling/sampling-noise.ts';
export { TokenDistribution, tokenEntropy, tokenLogProbs } from './token-distribution.ts';
export * from './tokenizer/index.ts';
