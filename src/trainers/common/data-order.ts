/**
 * Deterministic data order: epoch e visits the items in a permutation drawn from a PRNG seeded by
 * (seed, e). The cursor {epoch, position} is all a checkpoint needs to continue exactly.
 */
import { seededPermutation } from '../../util/prng.ts';

export interface CursorState {
  epoch: number;
  position: number;
}

export class DataOrder {
  private order: number[];
  state: CursorState;

  constructor(
    readonly size: number,
    readonly seed: number,
    readonly shuffle = true,
    state: CursorState = { epoch: 0, position: 0 },
  ) {
    if (size <= 0) throw new Error('cannot iterate over an empty dataset');
    this.state = { ...state };
    this.order = this.permutation(this.state.epoch);
  }

  /** The next `n` item indices, wrapping into the next epoch (reshuffled) when needed. */
  next(n: number): number[] {
    const out: number[] = [];
    while (out.length < n) {
      if (this.state.position >= this.size) {
        this.state = { epoch: this.state.epoch + 1, position: 0 };
        this.order = this.permutation(this.state.epoch);
      }
      out.push(this.order[this.state.position]!);
      this.state.position += 1;
    }
    return out;
  }

  private permutation(epoch: number): number[] {
    if (!this.shuffle) return Array.from({ length: this.size }, (_, i) => i);
    return seededPermutation(this.size, hash32(this.seed, epoch));
  }
}

/** The epoch's seed (kept as it is: run folders resume with the same data order). */
function hash32(a: number, b: number): number {
  let h = (Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35)) >>> 0;
  h ^= h >>> 16;
  return Math.imul(h, 0x45d9f3b) >>> 0;
}
