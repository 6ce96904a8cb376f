/** Layer 1 public API: tensors, scopes, autograd switches, randomness, optimizers, runtime. */
export { setDefaultDevice, getDefaultDevice } from './device.ts';
export { type DType, isFloating } from './dtype.ts';
export { Tensor, type Scalar, type TensorLike } from './tensor.ts';
export { tidy, keep, dispose, scopeDepth } from './scope.ts';
export { noGrad, enableGrad, isGradEnabled } from './grad.ts';
export { Generator, manualSeed } from './random.ts';
export * from './create.ts';
export * from './functional.ts';
export {
  liveTensors,
  setNumThreads,
  getNumThreads,
  applyDefaultThreads,
  engineInfo,
  type EngineInfo,
} from './runtime.ts';
export { AdamW, type AdamWConfig, type AdamWState, type ParamGroup } from './optim/adamw.ts';
export { clipGradNorm, gradNorm, gradsFinite } from './optim/clip.ts';
export { learningRateAt, type ScheduleConfig, type ScheduleKind } from './optim/schedule.ts';
