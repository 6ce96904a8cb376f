/**
 * PPO's value head: one scalar per position from the final hidden states, v = h·wᵀ + b, named as
 * TRL's `v_head.summary` and saved beside an HF snapshot in its own file (so HF loads the policy clean).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { loadTensors, saveTensors } from '../../io/tensor-io.ts';
import {
  type DType,
  dispose,
  type Generator,
  keep,
  linear,
  randn,
  type Tensor,
  tidy,
  zeros,
} from '../../tensor/index.ts';
import { VALUE_HEAD_FILE } from './snapshot-files.ts';
import { assertShapesMatch } from './state-dict-check.ts';

export const VALUE_HEAD_WEIGHT = 'v_head.summary.weight';
export const VALUE_HEAD_BIAS = 'v_head.summary.bias';

export class ValueHead {
  /** [1, hidden]. */
  readonly weight: Tensor;
  /** [1]. */
  readonly bias: Tensor;

  constructor(weight: Tensor, bias: Tensor) {
    this.weight = weight;
    this.bias = bias;
  }

  /** A fresh head: weight ~ N(0, std²) (HF's initializer_range), bias 0. */
  static init(
    hidden: number,
    gen: Generator,
    opts: { std?: number; dtype?: DType; device?: string } = {},
  ): ValueHead {
    const o = { dtype: opts.dtype ?? 'float32', device: opts.device ?? 'cpu' };
    const weight = keep(tidy(() => randn([1, hidden], gen, o).mul(opts.std ?? 0.02)));
    return new ValueHead(weight, keep(zeros([1], o)));
  }

  /** Loads `dir/value_head.safetensors`. */
  static async load(dir: string, opts: { dtype?: DType; device?: string } = {}): Promise<ValueHead> {
    const path = join(dir, VALUE_HEAD_FILE);
    const { tensors } = await loadTensors(path, opts);
    const hidden = tensors.get(VALUE_HEAD_WEIGHT)?.dim(1) ?? 0;
    const expected = new Map([
      [VALUE_HEAD_WEIGHT, [1, hidden]],
      [VALUE_HEAD_BIAS, [1]],
    ]);
    try {
      assertShapesMatch(path, expected, new Map([...tensors].map(([n, t]) => [n, t.shape])));
    } catch (e) {
      dispose([...tensors.values()]);
      throw e;
    }
    return new ValueHead(keep(tensors.get(VALUE_HEAD_WEIGHT)!), keep(tensors.get(VALUE_HEAD_BIAS)!));
  }

  /** Final hidden states [B, T, hidden] → float32 values [B, T] (the head runs in float32). */
  values(hidden: Tensor): Tensor {
    return linear(hidden.float(), this.weight.float(), this.bias.float()).squeeze(-1);
  }

  parameters(): Map<string, Tensor> {
    return new Map([
      [VALUE_HEAD_WEIGHT, this.weight],
      [VALUE_HEAD_BIAS, this.bias],
    ]);
  }

  setTrainable(on = true): this {
    this.weight.requiresGrad_(on);
    this.bias.requiresGrad_(on);
    return this;
  }

  /** Writes `dir/value_head.safetensors` (creating dir if needed). */
  async save(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    await saveTensors(join(dir, VALUE_HEAD_FILE), this.parameters());
  }

  dispose(): void {
    dispose([this.weight, this.bias]);
  }
}
