/**
 * Deterministic data order: epoch e visits the items in a permutation drawn from a PRNG seeded by
 * (seed, e). The cursor {epoch, position} is all a checkpoint needs to continue exactly.
 */
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
    const idx = Array.from({ length: this.size }, (_, i) => i);
    if (!this.shuffle) return idx;
    const rand = mulberry32(hash32(this.seed, epoch));
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [idx[i], idx[j]] = [idx[j]!, idx[i]!];
    }
    return idx;
  }
}

function hash32(a: number, b: number): number {
  let h = (Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35)) >>> 0;
  h ^= h >>> 16;
  return Math.imul(h, 0x45d9f3b) >>> 0;
}

/** mulberry32: a small, fast, well-tested 32-bit PRNG. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
