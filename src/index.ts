/**
 * maxent-rlhf: preference alignment of language models on libtorch. The root export is the
 * documented everyday API — tensors and scopes, loading and sampling models, the tokenizer, the
 * losses, the datasets, the trainers and their configs, a training run from a config (as the CLI runs it), the judges and the lab's demo — listed by
 * name below. Everything else (model internals, memory planning, the lab's task pieces, helpers)
 * lives in its area's subpath: `maxent-rlhf/tensor`, `/io`, `/models`, `/losses`, `/data`,
 * `/trainers`, `/judges`, `/experiments`, `/lab`, `/theory`, `/config`.
 *
 * ```ts
 * import { loadCausalLM, dpoLoss, tidy } from 'maxent-rlhf';
 * ```
 * @module maxent-rlhf
 */

// Datasets.
export {
  DataError,
  DatasetError,
  type LoadOptions as DataLoadOptions,
  loadPreferenceDataset,
  loadSftDataset,
  type PreferenceExample,
  type SftExample,
} from './api/data.ts';

// A training run from a config, object or file, as the CLI runs it.
export {
  loadTrainConfig,
  runBon,
  runPo,
  runRl,
  runRm,
  runSft,
  runTrain,
  type TrainConfigSource,
  type TrainOptions,
} from './api/experiments.ts';
// Weight files.
export { loadTensors, SafetensorsReader, saveTensors } from './api/io.ts';
// Judges and the lab.
export { HttpJudge } from './api/judges.ts';
export { runDemo } from './api/lab.ts';
// Losses.
export {
  bradleyTerryLoss,
  cpoLoss,
  dpoLoss,
  ipoLoss,
  klEstimate,
  orpoLoss,
  PREFERENCE_LOSSES,
  type PreferenceLogps,
  type PreferenceLossName,
  type PreferenceLossOutput,
  preferenceLoss,
  simpoLoss,
} from './api/losses.ts';
// Models: HF snapshots of GPT-NeoX / Pythia and Llama / Qwen2, scoring, sampling, the tokenizer.
export {
  type CausalLM,
  type GenerateOptions,
  type Generation,
  type GPTNeoXConfig,
  GPTNeoXForCausalLM,
  GPTNeoXRewardModel,
  generate,
  initModel,
  type LlamaConfig,
  LlamaForCausalLM,
  LlamaRewardModel,
  type LoadOptions,
  loadCausalLM,
  loadRewardModel,
  type ModelConfig,
  type RewardModel,
  responseLogProbs,
  Tokenizer,
} from './api/models.ts';
// Tensors, scopes, autograd, randomness, the optimizer.
export {
  AdamW,
  type AdamWConfig,
  arange,
  type DType,
  dispose,
  enableGrad,
  Generator,
  keep,
  manualSeed,
  noGrad,
  ones,
  randn,
  type Scalar,
  Tensor,
  type TensorLike,
  tensor,
  tidy,
  zeros,
} from './api/tensor.ts';
// Trainers and their configs.
export {
  initProcessGroup,
  LMPolicy,
  type OnlineTrainConfig,
  OnlineTrainConfigSchema,
  type PreferenceConfig,
  PreferenceConfigSchema,
  promptSource,
  type RewardModelConfig,
  RewardModelConfigSchema,
  runBestOfN,
  type SftConfig,
  SftConfigSchema,
  trainOnline,
  trainPreference,
  trainRewardModel,
  trainSft,
} from './api/trainers.ts';
