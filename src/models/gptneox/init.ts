/**
 * Random initialisation as HF's GPTNeoXPreTrainedModel._init_weights: every linear and embedding
 * weight ~ N(0, initializer_range²), biases 0, layer-norm weights 1. Draws follow the layout order
 * from one seeded generator, so a seed always gives the same model.
 */
import {
  type DType,
  type Generator,
  keep,
  ones,
  randn,
  type Tensor,
  tidy,
  zeros,
} from '../../tensor/index.ts';
import type { GPTNeoXConfig } from './config.ts';
import { type ModelKind, type StateDict, shapesFor } from './parameter-layout.ts';

export interface InitOptions {
  dtype?: DType;
  device?: string;
}

const isLayerNormWeight = (name: string) => /(layernorm|layer_norm)\.weight$/.test(name);

/** One freshly initialised parameter, chosen by its HF name (kept out of any open scope). */
export function initParameter(
  name: string,
  shape: number[],
  std: number,
  gen: Generator,
  opts: InitOptions = {},
): Tensor {
  const o = { dtype: opts.dtype ?? 'float32', device: opts.device ?? 'cpu' };
  const t = tidy(() => {
    if (isLayerNormWeight(name)) return ones(shape, o);
    if (name.endsWith('.bias')) return zeros(shape, o);
    return randn(shape, gen, { device: o.device }).mul(std).to(o.dtype);
  });
  return keep(t);
}

/** A freshly initialised state dict for the model `kind` of `config`. */
export function initStateDict(
  config: GPTNeoXConfig,
  kind: ModelKind,
  gen: Generator,
  opts: InitOptions = {},
): StateDict {
  const state: StateDict = new Map();
  for (const [name, shape] of shapesFor(kind, config)) {
    state.set(name, initParameter(name, shape, config.initializerRange, gen, opts));
  }
  return state;
}
