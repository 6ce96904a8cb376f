/**
 * Trainers, each writing a resumable run folder (docs/run-folder.md): SFT, Bradley-Terry reward
 * models (with the TL;DR output normalisation), offline preference optimisation, online RLHF (PPO,
 * RLOO, REINFORCE, GRPO, REINFORCE++) with a KL penalty — fixed or adaptive — or an entropy bonus,
 * and best-of-n without training; their config schemas; and the adapters from GPT-NeoX snapshots to
 * the trainers' model interfaces (policy, reward, the critic initialised from a reward model). Every
 * trainer takes an optional `group` (from `initProcessGroup`, which reads the torchrun variables
 * `maxent-rlhf launch` sets) to train data-parallel (docs/distributed.md).
 * @module trainers
 */
export {
  DistributedError,
  type InitOptions as ProcessGroupInitOptions,
  initProcessGroup,
  type ProcessGroup,
  SingleProcessGroup,
} from '../distributed/index.ts';
export {
  type ConfigHistoryEntry,
  RunDir,
  type RunInfo,
  type RunKind,
  type RunStatus,
} from '../runs/run-dir.ts';
export {
  CRITIC_PREFIX,
  LabModels,
  LMPolicy,
  type ProxyReward,
  promptSource,
  RewardModelCritic,
  rewardFromModel,
  type TinyModelSpec,
} from '../trainers/adapters/index.ts';
export {
  type Accumulated,
  backwardWeighted,
  microBatches,
  type PartLoss,
  type WeightedPart,
} from '../trainers/common/accumulate.ts';
export {
  gpuReserveBytes,
  largestFitting,
  type MemoryPlan,
  memoryPlan,
  offlinePlanSettings,
  onlinePlanSettings,
  type PlanComponent,
  type PlanKind,
  type PlanModels,
  type PlanPhase,
  type PlanSettings,
} from '../trainers/memory-plan.ts';
export {
  type OptimConfig,
  OptimSchema,
  type PreferenceConfig,
  PreferenceConfigSchema,
  type RewardModelConfig,
  RewardModelConfigSchema,
  type SftConfig,
  SftConfigSchema,
} from '../trainers/offline/config.ts';
export type { CausalLM, RewardModel, TextTokenizer } from '../trainers/offline/lm.ts';
export { needsReference, type PreferenceRun, trainPreference } from '../trainers/offline/preference.ts';
export { type RewardModelRun, trainRewardModel } from '../trainers/offline/reward-model.ts';
export {
  measureRewardBias,
  type NormalizableRewardModel,
  normalizeRewardModel,
  type RewardBiasMeasurement,
} from '../trainers/offline/reward-normalization.ts';
export { type SftRun, trainSft } from '../trainers/offline/sft.ts';
export { grpo } from '../trainers/online/algorithms/grpo.ts';
export { ppo } from '../trainers/online/algorithms/ppo.ts';
export { reinforcePlusPlus } from '../trainers/online/algorithms/reinforce-pp.ts';
export { reinforce, rloo } from '../trainers/online/algorithms/rloo.ts';
export {
  type BestOfNOptions,
  type BestOfNResult,
  type BestOfNRunSpec,
  bestOfN,
  bestOfNAnalyticKl,
  bestOfNLogRatio,
  runBestOfN,
  SAMPLES_FILE,
} from '../trainers/online/best-of-n.ts';
export {
  type GrpoConfig,
  GrpoSchema,
  type KlPenaltyConfig,
  ONLINE_ALGORITHMS,
  type OnlineAlgorithmName,
  type OnlineTrainConfig,
  OnlineTrainConfigSchema,
  type PpoConfig,
  type RegularizerConfig,
  RegularizerSchema,
  type ReinforcePlusPlusConfig,
  ReinforcePlusPlusSchema,
  type RlooConfig,
  type RolloutConfig,
  RolloutSchema,
} from '../trainers/online/config.ts';
export { type AdaptiveKlSettings, KlCoefficient, nextKlCoef } from '../trainers/online/kl-controller.ts';
export { type CollectedRollout, RolloutCollector, type RolloutModels } from '../trainers/online/rollout.ts';
export { TabularPolicy } from '../trainers/online/tabular-policy.ts';
export { makeAlgorithm, type OnlineRunSpec, trainOnline } from '../trainers/online/trainer.ts';
export type {
  Evaluator,
  LearnContext,
  LossWeighting,
  MicroBatch,
  OnlineAlgorithm,
  OnlinePolicy,
  PromptBatch,
  PromptSource,
  RewardFunction,
  Rollout,
  SampleOptions,
  ScoreOptions,
  TokenScores,
  UpdateResult,
  ValueModel,
} from '../trainers/online/types.ts';
export { clippedEpochs, clippedPolicyMetrics, shuffledMinibatches } from '../trainers/online/update.ts';
