/** The two parameterised building blocks, reading their tensors from a state dict by HF name. */
import { layerNorm, linear, type Tensor } from '../../tensor/index.ts';
import { type StateDict, take, takeOptional } from './parameter-layout.ts';

/** y = x·Wᵀ + b, W [out, in] (nn.Linear). */
export class Linear {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(state: StateDict, name: string) {
    this.weight = take(state, `${name}.weight`);
    this.bias = takeOptional(state, `${name}.bias`);
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}

/** Layer normalisation over the last dim with affine weight and bias (nn.LayerNorm). */
export class LayerNorm {
  readonly weight: Tensor;
  readonly bias: Tensor;
  readonly eps: number;

  constructor(state: StateDict, name: string, eps: number) {
    this.weight = take(state, `${name}.weight`);
    this.bias = take(state, `${name}.bias`);
    this.eps = eps;
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, [this.weight.dim(0)], this.weight, this.bias, this.eps);
  }
}
