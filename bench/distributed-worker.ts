/**
 * One rank of the distributed benchmark (bench/distributed.ts): best-of all-reduce times of one
 * float32 tensor of `n` elements, and of the same elements as `pieces` gradient tensors through
 * the bucketed all-reduce. Rank 0 prints one JSON line.
 */
import { allReduceBuckets, initProcessGroup } from '../src/distributed/index.ts';
import { applyDefaultThreads, ones, type Tensor } from '../src/tensor/index.ts';

applyDefaultThreads();
const [n, pieces, repeats] = process.argv.slice(2).map(Number) as [number, number, number];
const group = await initProcessGroup({ timeoutS: 300, initTimeoutS: 300 });

async function best(run: () => Promise<unknown>): Promise<number> {
  let bestMs = Number.POSITIVE_INFINITY;
  for (let i = 0; i < repeats + 2; i++) {
    await group.barrier(); // every rank starts together; the first two runs warm up
    const t0 = process.hrtime.bigint();
    await run();
    if (i >= 2) bestMs = Math.min(bestMs, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return bestMs;
}

const flat = ones([n]);
const allReduceMs = await best(() => group.allReduce(flat, 'sum'));
const grads: Tensor[] = Array.from({ length: pieces }, () => ones([Math.floor(n / pieces)]));
let buckets = 0;
const bucketedMs = await best(async () => {
  buckets = await allReduceBuckets(group, grads, { op: 'sum' });
});
if (group.rank === 0) console.log(JSON.stringify({ allReduceMs, bucketedMs, buckets }));
await group.destroy();
