/**
 * nn.Linear over HF-named tensors, shared by every model family, with one hook: an adapter (LoRA,
 * src/models/lora) that adds its own term to the layer's output. A family exposes its linears by
 * their HF module names (`namedLinears()`), and adapters attach to them by those names, so LoRA
 * never needs to know the architecture around a layer.
 */
import { linear, type Tensor } from '../tensor/index.ts';

/** Tensors by HF name (a model's state dict). */
type Tensors = Map<string, Tensor>;

/** What an adapter adds to a linear layer: y = base(x) + adapter.delta(x). */
export interface LinearAdapter {
  /** The adapter's term for input x [.., in] → [.., out]; null while the adapter is switched off. */
  delta(x: Tensor): Tensor | null;
  /** Its weights (a recorded decode step takes them as inputs, not constants). */
  tensors(): Tensor[];
}

/** y = x·Wᵀ + b, W [out, in] (nn.Linear), plus an optional adapter's term. */
export class Linear {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  /** Set by an adapter (LoRA) wrapped around this layer; null: the plain layer. */
  adapter: LinearAdapter | null = null;

  constructor(state: Tensors, name: string) {
    const weight = state.get(`${name}.weight`);
    if (!weight) throw new Error(`state dict has no tensor "${name}.weight"`);
    this.weight = weight;
    this.bias = state.get(`${name}.bias`) ?? null;
  }

  get inFeatures(): number {
    return this.weight.dim(1);
  }

  get outFeatures(): number {
    return this.weight.dim(0);
  }

  forward(x: Tensor): Tensor {
    const y = linear(x, this.weight, this.bias);
    const delta = this.adapter?.delta(x);
    return delta ? y.add(delta) : y;
  }
}

/** A model whose linear layers are reachable by HF module name (e.g. `gpt_neox.layers.0.mlp.dense_h_to_4h`). */
export interface HasNamedLinears {
  /** HF's model_type (`gpt_neox`, `llama`, …): picks PEFT's default target modules. */
  readonly modelType: string;
  namedLinears(): Map<string, Linear>;
}

/** The weights of every adapter attached to `model`'s linears (none without adapters). */
export function adapterTensors(model: HasNamedLinears): Tensor[] {
  return [...model.namedLinears().values()].flatMap((l) => l.adapter?.tensors() ?? []);
}
