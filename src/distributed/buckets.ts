/**
 * Bucketed all-reduce of many tensors (a model's gradients): consecutive tensors of one dtype and
 * device are flattened into buckets of about `bucketBytes` (25 MiB by default, as PyTorch DDP's
 * bucket_cap_mb), each bucket is reduced with one collective, and the results are copied back in
 * place. Fewer, larger messages amortise the per-collective latency; all buckets are in flight at
 * once. Every rank must pass tensors of the same shapes, dtypes and order.
 */
import { cat, dtypeBytes, keep, type Tensor, tidy } from '../tensor/index.ts';
import type { ProcessGroup, ReduceOp } from './process-group.ts';

export const DEFAULT_BUCKET_BYTES = 25 * 1024 * 1024;

/**
 * Groups tensor indices into buckets: in order, same dtype and device, at most `bucketBytes` each
 * (a larger tensor gets a bucket of its own). Deterministic, so every rank plans the same buckets.
 */
export function planBuckets(tensors: readonly Tensor[], bucketBytes = DEFAULT_BUCKET_BYTES): number[][] {
  if (!(bucketBytes > 0)) throw new Error(`bucketBytes must be positive, got ${bucketBytes}`);
  const buckets: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  let kind = '';
  tensors.forEach((t, i) => {
    const size = t.size * dtypeBytes(t.dtype);
    const k = `${t.dtype}@${t.device}`;
    if (current.length > 0 && (k !== kind || bytes + size > bucketBytes)) {
      buckets.push(current);
      current = [];
      bytes = 0;
    }
    current.push(i);
    bytes += size;
    kind = k;
  });
  if (current.length > 0) buckets.push(current);
  return buckets;
}

export interface BucketOptions {
  /** 'avg' (default: data-parallel gradient averaging) or any other reduction. */
  op?: ReduceOp;
  bucketBytes?: number;
}

/** All-reduces every tensor in place, in buckets. Returns the number of collectives issued. */
export async function allReduceBuckets(
  group: ProcessGroup,
  tensors: readonly Tensor[],
  opts: BucketOptions = {},
): Promise<number> {
  if (group.worldSize === 1 || tensors.length === 0) {
    for (const t of tensors) await group.allReduce(t, opts.op ?? 'avg'); // same argument checks
    return 0;
  }
  const { plan, flats } = flatten(tensors, opts.bucketBytes);
  try {
    await Promise.all(flats.map((flat) => group.allReduce(flat, opts.op ?? 'avg')));
    copyBack(tensors, plan, flats);
  } finally {
    for (const f of flats) f.dispose();
  }
  return plan.length;
}

/**
 * {@link allReduceBuckets} that returns once every bucket is reduced, blocking the JS thread (see
 * ProcessGroup.allReduceBlocking): for the gradients of a synchronous training step.
 */
export function allReduceBucketsBlocking(
  group: ProcessGroup,
  tensors: readonly Tensor[],
  opts: BucketOptions = {},
): number {
  if (group.worldSize === 1 || tensors.length === 0) {
    group.allReduceBlocking(tensors, opts.op ?? 'avg'); // same argument checks
    return 0;
  }
  const { plan, flats } = flatten(tensors, opts.bucketBytes);
  try {
    group.allReduceBlocking(flats, opts.op ?? 'avg');
    copyBack(tensors, plan, flats);
  } finally {
    for (const f of flats) f.dispose();
  }
  return plan.length;
}

/** One flat copy per bucket, kept out of tensor scopes (they may be reduced across an await). */
function flatten(tensors: readonly Tensor[], bucketBytes?: number): { plan: number[][]; flats: Tensor[] } {
  const plan = planBuckets(tensors, bucketBytes);
  const flats = plan.map((bucket) => keep(tidy(() => cat(bucket.map((i) => tensors[i]!.reshape(-1))))));
  return { plan, flats };
}

function copyBack(tensors: readonly Tensor[], plan: number[][], flats: Tensor[]): void {
  for (const [b, bucket] of plan.entries()) {
    tidy(() => {
      const pieces = flats[b]!.split(bucket.map((i) => tensors[i]!.size));
      for (const [k, i] of bucket.entries()) tensors[i]!.copy_(pieces[k]!.view(...tensors[i]!.shape));
    });
  }
}
