/** Seeded random generators: each owns libtorch generator state, savable for exact resume. */
import { type GeneratorHandle, native } from '../native/binding.ts';
import { getDefaultDevice } from './device.ts';
import { Tensor } from './tensor.ts';

export class Generator {
  readonly handle: GeneratorHandle;
  readonly device: string;

  constructor(seed: number, device = getDefaultDevice()) {
    if (!Number.isSafeInteger(seed) || seed < 0)
      throw new Error(`generator seed must be a non-negative integer, got ${seed}`);
    this.device = device.startsWith('cuda') ? device : 'cpu';
    this.handle = native.makeGenerator(seed, this.device);
  }

  /** The full generator state as bytes (for checkpoints). */
  getState(): Uint8Array {
    const t = new Tensor(native.generatorGetState(this.handle));
    try {
      return new Uint8Array(native.toData(t.handle));
    } finally {
      t.dispose();
    }
  }

  setState(state: Uint8Array): void {
    const t = new Tensor(native.fromData(state, [state.length], 7, 'cpu'));
    try {
      native.generatorSetState(this.handle, t.handle);
    } finally {
      t.dispose();
    }
  }
}

/** Seeds libtorch's global generators (used only by ops not given a Generator). */
export function manualSeed(seed: number): void {
  native.manualSeed(seed);
}
