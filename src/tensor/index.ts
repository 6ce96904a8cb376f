/** Public API of the tensor layer: tensors, scopes, autograd switches, randomness, optimizers, runtime. */

export * from './create.ts';
export {
  cudaInfo,
  DEVICE_SETTING,
  deviceProblem,
  getDefaultDevice,
  rankDevice,
  resolveDevice,
  setDefaultDevice,
  withDefaultDevice,
} from './device.ts';
export { type DType, dtypeBytes, isFloating } from './dtype.ts';
export * from './functional.ts';
export { enableGrad, isGradEnabled, noGrad } from './grad.ts';
export { AdamW, type AdamWConfig, type AdamWState, type ParamGroup } from './optim/adamw.ts';
export { clipGradNorm, gradNorm, gradsFinite } from './optim/clip.ts';
export { MasterWeights } from './optim/master-weights.ts';
export { learningRateAt, type ScheduleConfig, type ScheduleKind } from './optim/schedule.ts';
export { Generator, manualSeed } from './random.ts';
export {
  applyDefaultThreads,
  defaultThreadPolicy,
  type EngineInfo,
  engineInfo,
  getNumThreads,
  type HostMemoryStats,
  hostMemoryStats,
  liveTensors,
  resetHostMemoryPeak,
  setNumThreads,
  trackHostMemory,
} from './runtime.ts';
export { dispose, keep, scopeDepth, tidy } from './scope.ts';
export { type NestedNumbers, type Scalar, Tensor, type TensorLike } from './tensor.ts';
