/**
 * The model families behind one interface: GPT-NeoX (Pythia) and the Llama family (Llama, Qwen2).
 * A config tells its family (only a Llama-family config has a modelType); everything that depends
 * on the family — parsing config.json, the HF tensor names and shapes, initialisation, the model
 * classes — is chosen here, so loaders, trainers and estimators never name a family.
 */

import type { Generator } from '../tensor/index.ts';
import { countParameters as countGPTNeoXParameters, type GPTNeoXConfig } from './gptneox/config.ts';
import { parseConfigJson } from './gptneox/config-json.ts';
import { initStateDict } from './gptneox/init.ts';
import { GPTNeoXForCausalLM, GPTNeoXRewardModel } from './gptneox/model.ts';
import {
  isIgnoredBuffer,
  LM_HEAD,
  type ModelKind,
  type ParameterShapes,
  SCORE_HEAD,
  type StateDict,
  shapesFor,
} from './gptneox/parameter-layout.ts';
import {
  countLlamaParameters,
  initLlamaStateDict,
  isLlamaConfig,
  isLlamaIgnoredBuffer,
  LLAMA_FAMILY,
  LLAMA_LM_HEAD,
  LLAMA_SCORE_HEAD,
  type LlamaConfig,
  llamaShapesFor,
  parseLlamaConfigJson,
} from './llama/config.ts';
import { LlamaForCausalLM, LlamaRewardModel } from './llama/model.ts';

/** The hyperparameters of a model of any family. */
export type ModelConfig = GPTNeoXConfig | LlamaConfig;
/** A causal LM of any family. */
export type CausalLM = GPTNeoXForCausalLM | LlamaForCausalLM;
/** A one-label reward model of any family. */
export type RewardModel = GPTNeoXRewardModel | LlamaRewardModel;

export type ModelFamily = 'gpt_neox' | 'llama';

export function familyOf(config: ModelConfig): ModelFamily {
  return isLlamaConfig(config) ? 'llama' : 'gpt_neox';
}

/** The model_types and architectures config.json may name, by family. */
const GPT_NEOX_ARCHITECTURES = ['GPTNeoXForCausalLM', 'GPTNeoXForSequenceClassification'];
const LLAMA_ARCHITECTURES: string[] = Object.values(LLAMA_FAMILY).flatMap((f) => [f.causalLM, f.rewardModel]);

/**
 * Parses an HF config.json of any supported family, dispatching on model_type (or, without one,
 * architectures); an unknown family is an error naming what is supported.
 */
export function parseAnyConfigJson(json: unknown, source = 'config.json'): ModelConfig {
  const obj = (typeof json === 'object' && json !== null ? json : {}) as {
    model_type?: unknown;
    architectures?: unknown;
  };
  const archs = Array.isArray(obj.architectures) ? obj.architectures.map(String) : [];
  const type = typeof obj.model_type === 'string' ? obj.model_type : undefined;
  if (type !== undefined && Object.hasOwn(LLAMA_FAMILY, type)) return parseLlamaConfigJson(json, source);
  if (type === undefined && archs.some((a) => LLAMA_ARCHITECTURES.includes(a)))
    throw new Error(`${source}: a ${archs.join('/')} config needs its model_type ("llama" or "qwen2")`);
  if (type === undefined || type === 'gpt_neox') return parseConfigJson(json, source);
  throw new Error(
    `${source}: model_type "${type}" is not supported; supported: gpt_neox (${GPT_NEOX_ARCHITECTURES.join(', ')}), ` +
      `${Object.keys(LLAMA_FAMILY).join(', ')} (${LLAMA_ARCHITECTURES.join(', ')})`,
  );
}

/** The HF tensor names and shapes of `kind` for `config`, in HF module order. */
export function modelShapes(kind: ModelKind, config: ModelConfig): ParameterShapes {
  return isLlamaConfig(config) ? llamaShapesFor(kind, config) : shapesFor(kind, config);
}

/** The names of the LM head and the score head of `config`'s family. */
export function headNames(config: ModelConfig): { lmHead: string; score: string } {
  return isLlamaConfig(config)
    ? { lmHead: LLAMA_LM_HEAD, score: LLAMA_SCORE_HEAD }
    : { lmHead: LM_HEAD, score: SCORE_HEAD };
}

/** HF's non-persistent buffers some checkpoints of `config`'s family hold: never loaded. */
export function isIgnoredTensor(config: ModelConfig, name: string): boolean {
  return isLlamaConfig(config) ? isLlamaIgnoredBuffer(name) : isIgnoredBuffer(name);
}

/** Parameters of the causal LM (a tied LM head counted once). */
export function countModelParameters(config: ModelConfig): number {
  return isLlamaConfig(config) ? countLlamaParameters(config) : countGPTNeoXParameters(config);
}

/** A freshly initialised state dict, HF's initialisation of the family, drawn from `gen` in layout order. */
export function initModelStateDict(
  config: ModelConfig,
  kind: ModelKind,
  gen: Generator,
  opts: { dtype?: 'float32' | 'bfloat16'; device?: string } = {},
): StateDict {
  return isLlamaConfig(config)
    ? initLlamaStateDict(config, kind, gen, opts)
    : initStateDict(config, kind, gen, opts);
}

/** The causal LM of `config`'s family over `state`. */
export function causalLMFor(config: ModelConfig, state: StateDict): CausalLM {
  return isLlamaConfig(config) ? new LlamaForCausalLM(config, state) : new GPTNeoXForCausalLM(config, state);
}

/** The reward model of `config`'s family over `state`. */
export function rewardModelFor(config: ModelConfig, state: StateDict): RewardModel {
  return isLlamaConfig(config) ? new LlamaRewardModel(config, state) : new GPTNeoXRewardModel(config, state);
}

/** Leading dims of each head that rotate (GPT-NeoX: rotary_pct of them; Llama: all). */
export function rotaryWidth(config: ModelConfig): number {
  if (isLlamaConfig(config)) return config.headDim;
  return Math.floor((config.hiddenSize / config.numAttentionHeads) * config.rotaryPct);
}
