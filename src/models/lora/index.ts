/** LoRA adapters: settings, the adapters around a model's named linears, and PEFT's folder layout. */
export { type AttachOptions, LoraAdapters, loraTensorNames, PEFT_PREFIX } from './adapters.ts';
export {
  ADAPTER_CONFIG_FILE,
  ADAPTER_WEIGHTS_FILE,
  type AdapterConfig,
  adapterConfigJson,
  baseFolderOf,
  isAdapterFolder,
  mergeAdapter,
  type PeftTaskType,
  readAdapterConfig,
  readAdapterWeights,
  savedModuleTensorName,
  writeAdapterFolder,
} from './peft-files.ts';
export {
  DEFAULT_TARGET_MODULES,
  LORA_DEFAULTS,
  type LoraSettings,
  loraParameterCount,
  loraScaling,
  matchesTarget,
  resolveTargets,
} from './settings.ts';
