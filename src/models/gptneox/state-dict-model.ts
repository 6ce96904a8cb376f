/** What every GPT-NeoX model shares: it owns a state dict of HF-named tensors and a config. */
import { type DType, dispose, type Tensor } from '../../tensor/index.ts';
import type { GPTNeoXConfig } from './config.ts';
import { EMBED_IN, type StateDict, take } from './parameter-layout.ts';

export abstract class StateDictModel {
  readonly config: GPTNeoXConfig;
  /** The tensors by HF name; the modules hold the same tensors. */
  protected readonly state: StateDict;
  /** A folder whose tokenizer files `save` copies into every snapshot (set when loaded from one). */
  tokenizerDir: string | null = null;

  protected constructor(config: GPTNeoXConfig, state: StateDict) {
    this.config = config;
    this.state = state;
  }

  /** The parameters by HF name (the live tensors, not copies). */
  parameters(): Map<string, Tensor> {
    return new Map(this.state);
  }

  /** Turns gradient recording for every parameter on or off. */
  setTrainable(on = true): this {
    for (const t of this.state.values()) t.requiresGrad_(on);
    return this;
  }

  get dtype(): DType {
    return take(this.state, EMBED_IN).dtype;
  }

  get device(): string {
    return take(this.state, EMBED_IN).device;
  }

  /** Frees every parameter now. */
  dispose(): void {
    dispose([...this.state.values()]);
  }
}
