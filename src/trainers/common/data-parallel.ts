/**
 * Data parallelism as the trainers use it (docs/distributed.md). Every rank sees the same global
 * batch indices and takes a contiguous share of them; a rank's loss is multiplied by its share of
 * the update's weight (tokens, pairs, rows: whatever the loss is a mean over), so that the gradients
 * summed over ranks are those of the global mean — not a mean of per-rank means, which differs
 * when shares hold different numbers of tokens. Metrics are combined the same way. Rank 0's weights
 * and training state are broadcast at start, so every rank begins (or resumes) from rank 0's.
 *
 * The synchronous parts (gradients, metrics) use blocking collectives: the training step runs on the
 * JS thread, forward and backward included. Every rank must make the same calls in the same order.
 */
import { allReduceBucketsBlocking, type ProcessGroup, SingleProcessGroup } from '../../distributed/index.ts';
import { noGrad, type Tensor, tensor, tidy, zeros, zerosLike } from '../../tensor/index.ts';

/** One contribution to a weighted mean: metric values and this part's share of the total weight. */
export interface MetricPart {
  metrics: Record<string, number>;
  share: number;
}

export class DataParallel {
  readonly group: ProcessGroup;

  constructor(group: ProcessGroup = new SingleProcessGroup()) {
    this.group = group;
  }

  get rank(): number {
    return this.group.rank;
  }
  get worldSize(): number {
    return this.group.worldSize;
  }
  /** Rank 0: the one that writes the run folder. */
  get isMain(): boolean {
    return this.group.rank === 0;
  }
  get distributed(): boolean {
    return this.group.worldSize > 1;
  }
  /** Where this rank's collectives run: CUDA for NCCL (cuda:LOCAL_RANK), else the CPU. */
  get device(): string {
    return this.group.backend === 'nccl' ? `cuda:${this.group.localRank}` : 'cpu';
  }

  /** This rank's contiguous share [start, end) of n items; the first n mod worldSize ranks take one more. */
  range(n: number): [number, number] {
    const w = this.worldSize;
    const base = Math.floor(n / w);
    const extra = n % w;
    const start = this.rank * base + Math.min(this.rank, extra);
    return [start, start + base + (this.rank < extra ? 1 : 0)];
  }

  /** This rank's contiguous share of `items` (see {@link range}). */
  shard<T>(items: readonly T[]): T[] {
    const [start, end] = this.range(items.length);
    return items.slice(start, end);
  }

  /** Fails, naming the setting, unless `n` items give every rank at least one. */
  requireShare(n: number, what: string): void {
    if (n < this.worldSize)
      throw new Error(
        `${what} is ${n}: too few to give each of the ${this.worldSize} data-parallel ranks one (it is the global size, split over the ranks)`,
      );
  }

  /** Element-wise sums over ranks, in float64 (blocking). */
  sum(values: readonly number[]): number[] {
    return this.reduce(values, 'sum');
  }

  /** Element-wise maxima over ranks (blocking). */
  max(values: readonly number[]): number[] {
    return this.reduce(values, 'max');
  }

  private reduce(values: readonly number[], op: 'sum' | 'max'): number[] {
    if (!this.distributed || values.length === 0) return [...values];
    return tidy(() => {
      const t = tensor(Float64Array.from(values), { device: this.device });
      this.group.allReduceBlocking([t], op);
      return t.toArray();
    });
  }

  /**
   * Weighted means over every part of every rank: per key, Σ share·value. Shares are each part's
   * fraction of the total weight, so over all ranks they sum to 1 for one mean (or to the number of
   * means being averaged). Keys are agreed over ranks first, so a rank with no part (or a key
   * another rank lacks) adds nothing to that key instead of desynchronising the collectives.
   */
  combine(parts: readonly MetricPart[]): Record<string, number> {
    const local = [...new Set(parts.flatMap((p) => Object.keys(p.metrics)))].sort();
    const keys = this.distributed ? this.unionOfKeys(local) : local;
    const totals = keys.map((k) =>
      parts.reduce((sum, p) => (k in p.metrics ? sum + p.share * p.metrics[k]! : sum), 0),
    );
    const global = this.sum(totals);
    return Object.fromEntries(keys.map((k, i) => [k, global[i]!]));
  }

  /** The sorted union of every rank's keys (two small blocking collectives). */
  private unionOfKeys(keys: string[]): string[] {
    const bytes = new TextEncoder().encode(JSON.stringify(keys));
    const [width] = this.max([bytes.length]);
    const all = tidy(() => {
      const rows = zeros([this.worldSize, width!], { dtype: 'uint8', device: this.device });
      if (bytes.length > 0)
        rows
          .select(0, this.rank)
          .slice(0, 0, bytes.length)
          .copy_(tensor(bytes, { device: this.device }));
      this.group.allReduceBlocking([rows], 'sum'); // each row is written by one rank only
      return rows.to({ device: 'cpu' }).toTypedArray() as Uint8Array;
    });
    const decoder = new TextDecoder();
    const union = new Set<string>();
    for (let r = 0; r < this.worldSize; r++) {
      const row = all.subarray(r * width!, (r + 1) * width!);
      const end = row.indexOf(0);
      for (const k of JSON.parse(decoder.decode(end < 0 ? row : row.subarray(0, end))) as string[])
        union.add(k);
    }
    return [...union].sort();
  }

  /**
   * Sums every parameter's gradient over ranks, in place, in buckets (each rank's loss already
   * carries its share). A parameter with a gradient on some rank gets one everywhere (zeros where
   * it had none), so that every rank's optimizer takes the same step.
   */
  sumGradients(params: readonly Tensor[]): void {
    if (!this.distributed) return;
    const has = params.map((p) => p.grad);
    try {
      const anywhere = this.max(has.map((g) => (g ? 1 : 0)));
      const grads: Tensor[] = [];
      for (const [i, p] of params.entries()) {
        if (anywhere[i] === 0) continue;
        if (!has[i]) {
          const zero = noGrad(() => zerosLike(p));
          p.grad = zero;
          zero.dispose(); // the parameter keeps its own reference
          has[i] = p.grad;
        }
        grads.push(has[i]!);
      }
      allReduceBucketsBlocking(this.group, grads, { op: 'sum' });
    } finally {
      for (const g of has) g?.dispose();
    }
  }

  /** Every tensor ← rank 0's, in place (autograd-free: parameters are overwritten through detached views). */
  async broadcastTensors(tensors: readonly Tensor[]): Promise<void> {
    if (!this.distributed || tensors.length === 0) return;
    const views = tensors.map((t) => t.detach());
    try {
      await Promise.all(views.map((v) => this.group.broadcast(v, 0)));
    } finally {
      for (const v of views) v.dispose();
    }
  }

  /** Rank 0's `value` (JSON-serialisable) on every rank. */
  async broadcastJson<T>(value: T): Promise<T> {
    if (!this.distributed) return value;
    const bytes = this.isMain ? new TextEncoder().encode(JSON.stringify(value)) : new Uint8Array(0);
    const length = tensor([bytes.length], { dtype: 'int64', device: this.device });
    try {
      await this.group.broadcast(length, 0);
      const n = length.item();
      const buffer = this.isMain
        ? tensor(bytes, { device: this.device })
        : zeros([n], { dtype: 'uint8', device: this.device });
      try {
        await this.group.broadcast(buffer, 0);
        const text = new TextDecoder().decode(
          tidy(() => buffer.to({ device: 'cpu' }).toTypedArray() as Uint8Array),
        );
        return JSON.parse(text) as T;
      } finally {
        buffer.dispose();
      }
    } finally {
      length.dispose();
    }
  }
}
