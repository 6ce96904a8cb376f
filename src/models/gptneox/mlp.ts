/** The feed-forward block: dense_4h_to_h(act(dense_h_to_4h(x))). */
import type { Tensor } from '../../tensor/index.ts';
import { type GPTNeoXConfig, geluApproximation } from './config.ts';
import { Linear } from './modules.ts';
import type { StateDict } from './parameter-layout.ts';

export class MLP {
  readonly denseHTo4h: Linear;
  readonly dense4hToH: Linear;
  readonly approximate: 'none' | 'tanh';

  constructor(state: StateDict, prefix: string, c: GPTNeoXConfig) {
    this.denseHTo4h = new Linear(state, `${prefix}.dense_h_to_4h`);
    this.dense4hToH = new Linear(state, `${prefix}.dense_4h_to_h`);
    this.approximate = geluApproximation(c.hiddenAct);
  }

  forward(x: Tensor): Tensor {
    return this.dense4hToH.forward(this.denseHTo4h.forward(x).gelu(this.approximate));
  }
}
