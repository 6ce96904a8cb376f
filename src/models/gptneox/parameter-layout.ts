/**
 * The HF parameter names and shapes of GPT-NeoX models — the single source of truth for building,
 * initialising, loading, checking and saving them.
 */
import type { Tensor } from '../../tensor/index.ts';
import type { GPTNeoXConfig } from './config.ts';

/** Tensors by HF name. */
export type StateDict = Map<string, Tensor>;
/** Expected shapes by HF name, in HF's module order. */
export type ParameterShapes = Map<string, number[]>;

/** Which model a state dict belongs to. */
export type ModelKind = 'causal-lm' | 'reward-model';

export const TRUNK_PREFIX = 'gpt_neox';
export const LM_HEAD = 'embed_out.weight';
export const SCORE_HEAD = 'score.weight';
export const EMBED_IN = `${TRUNK_PREFIX}.embed_in.weight`;

/** HF's non-persistent buffers that older checkpoints contain: recomputed here, never loaded. */
const IGNORED_BUFFERS = /(^|\.)(attention\.bias|attention\.masked_bias|rotary_emb\.inv_freq)$/;

export function isIgnoredBuffer(name: string): boolean {
  return IGNORED_BUFFERS.test(name);
}

/** Name prefix of transformer layer i. */
export function layerPrefix(i: number): string {
  return `${TRUNK_PREFIX}.layers.${i}`;
}

function addLinear(shapes: ParameterShapes, name: string, out: number, inp: number, bias: boolean): void {
  shapes.set(`${name}.weight`, [out, inp]);
  if (bias) shapes.set(`${name}.bias`, [out]);
}

function addLayerNorm(shapes: ParameterShapes, name: string, width: number): void {
  shapes.set(`${name}.weight`, [width]);
  shapes.set(`${name}.bias`, [width]);
}

/** The transformer body `gpt_neox.*` (GPTNeoXModel). */
export function trunkShapes(config: GPTNeoXConfig): ParameterShapes {
  const h = config.hiddenSize;
  const shapes: ParameterShapes = new Map([[EMBED_IN, [config.vocabSize, h]]]);
  for (let i = 0; i < config.numHiddenLayers; i++) {
    const p = layerPrefix(i);
    addLayerNorm(shapes, `${p}.input_layernorm`, h);
    addLayerNorm(shapes, `${p}.post_attention_layernorm`, h);
    addLinear(shapes, `${p}.attention.query_key_value`, 3 * h, h, config.attentionBias);
    addLinear(shapes, `${p}.attention.dense`, h, h, config.attentionBias);
    addLinear(shapes, `${p}.mlp.dense_h_to_4h`, config.intermediateSize, h, true);
    addLinear(shapes, `${p}.mlp.dense_4h_to_h`, h, config.intermediateSize, true);
  }
  addLayerNorm(shapes, `${TRUNK_PREFIX}.final_layer_norm`, h);
  return shapes;
}

/** GPTNeoXForCausalLM: the trunk and `embed_out` (absent when tied to `embed_in`, as HF saves it). */
export function causalLMShapes(config: GPTNeoXConfig): ParameterShapes {
  const shapes = trunkShapes(config);
  if (!config.tieWordEmbeddings) shapes.set(LM_HEAD, [config.vocabSize, config.hiddenSize]);
  return shapes;
}

/** GPTNeoXForSequenceClassification with one label: the trunk and `score` (no bias). */
export function rewardModelShapes(config: GPTNeoXConfig): ParameterShapes {
  const shapes = trunkShapes(config);
  shapes.set(SCORE_HEAD, [1, config.hiddenSize]);
  return shapes;
}

export function shapesFor(kind: ModelKind, config: GPTNeoXConfig): ParameterShapes {
  return kind === 'causal-lm' ? causalLMShapes(config) : rewardModelShapes(config);
}

/** The tensor called `name`; throws naming it when absent. */
export function take(state: StateDict, name: string): Tensor {
  const t = state.get(name);
  if (!t) throw new Error(`state dict has no tensor "${name}"`);
  return t;
}

/** The tensor called `name`, or null when absent (optional biases). */
export function takeOptional(state: StateDict, name: string): Tensor | null {
  return state.get(name) ?? null;
}
