/**
 * Public API of the models: GPT-NeoX / Pythia models (HF-compatible configs, checkpoints and heads),
 * sampling, and the tokenizer.
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
  type CausalLMForwardOptions,
  type CausalLMOutput,
  cacheLength,
  disposeCache,
  GPTNeoXForCausalLM,
  GPTNeoXModel,
  GPTNeoXRewardModel,
  type KVCache,
  type LayerCache,
  lastTokenIndex,
  positionIdsFromMask,
  type ResponseScoreOptions,
  type ResponseScores,
  responseLogProbs,
  type StaticCacheWrite,
  saveRewardNormalization,
  staticCacheBytes,
  type TrunkOptions,
  type TrunkOutput,
  targetLogProbs,
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
export * from './lora/index.ts';
export { assertFiniteWeights, assertPositionsFit, assertVocabularyFits } from './model-limits.ts';
export { type GenerateOptions, type Generation, generate, type Prompts } from './sampling/generate.ts';
export { keepTopK, keepTopP, processLogits, type SamplingSettings } from './sampling/logits-processing.ts';
export { type GeneratedRecord, type RunGenerateArgs, runGenerate } from './sampling/run-generate.ts';
export { type SampleKey, samplingNoise } from './sampling/sampling-noise.ts';
export { TokenDistribution, tokenEntropy, tokenLogProbs } from './token-distribution.ts';
export * from './tokenizer/index.ts';
