import { type Generator, type Tensor, randperm } from '../../../tensor/index.ts';

/** Shuffled row-index chunks of size `size` ([n] int64 each) for one epoch. */
export function minibatchIndices(batchSize: number, size: number, gen: Generator): Tensor[] {
  return randperm(batchSize, gen).split(Math.min(size, batchSize));
}

/** Running means of named scalars across minibatches. */
export class MeanMeter {
  private sums = new Map<string, { total: number; n: number }>();
  add(values: Record<string, number>): void {
    for (const [k, v] of Object.entries(values)) {
      const s = this.sums.get(k) ?? { total: 0, n: 0 };
      s.total += v;
      s.n += 1;
      this.sums.set(k, s);
    }
  }
  means(): Record<string, number> {
    return Object.fromEntries([...this.sums].map(([k, s]) => [k, s.total / s.n]));
  }
}
