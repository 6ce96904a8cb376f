/**
 * c10d collectives across real processes (2 and 3 Node ranks on 127.0.0.1, Gloo), checked against
 * hand-computed values; the bucketed gradient all-reduce against the mean of every rank's inputs
 * (computed here in float64) and against one collective per tensor; and the event loop keeps
 * running while a collective waits.
 */
import { describe, expect, it } from 'vitest';
import { NO_GLOO } from './fixtures/gloo.ts';
import { freePort, type RankResult, startRanks } from './fixtures/ranks.ts';

async function run(world: number, scenario = 'collectives'): Promise<Record<string, unknown>[]> {
  const ranks = await startRanks(world, scenario, await freePort(), {
    env: { MAXENT_DIST_TIMEOUT: '60', MAXENT_DIST_INIT_TIMEOUT: '90' },
  }).done;
  for (const r of ranks) expect(r.code, `rank ${r.rank} (${r.signal}):\n${r.stderr}`).toBe(0);
  return ranks.map((r: RankResult) => r.result!);
}

const triangle = (w: number) => (w * (w + 1)) / 2;

describe.skipIf(NO_GLOO).each([2, 3])('%i ranks', (world) => {
  it('all-reduce (sum, avg, max, min, int64), broadcast, all-gather, barrier, buckets', async () => {
    const results = await run(world);
    for (const [rank, r] of results.entries()) {
      expect(r.rank).toBe(rank);
      expect(r.worldSize).toBe(world);
      expect(r.backend).toBe('gloo');
      // Rank r contributes [r + 1, 10 (r + 1)], [r, −r], [r + 1].
      expect(r.sum).toEqual([triangle(world), 10 * triangle(world)]);
      expect(r.avg).toEqual([triangle(world) / world, (10 * triangle(world)) / world]);
      expect(r.max).toEqual([world - 1, 0]);
      expect(r.min).toEqual([0, -(world - 1)]);
      expect(r.ints).toEqual([triangle(world)]);
      // Broadcast from the last rank, whose tensor is [100 (W − 1) + 1, 2, 3].
      expect(r.bcast).toEqual([100 * (world - 1) + 1, 2, 3]);
      expect(r.gatheredShape).toEqual([world, 2]);
      expect(r.gathered).toEqual(Array.from({ length: world }, (_, q) => [q, 2 * q]).flat());

      // Buckets of ≤ 64 bytes over float32 [3,4] [5] [2,2,2] [7] [1], float64 [3], float32 [2,3]:
      // {48 B}, {20 + 32}, {28 + 4}, {float64 24}, {float32 24} → 5; the 25 MiB default: one per dtype run → 3.
      expect(r.buckets).toBe(5);
      expect(r.bigBucket).toBe(3);
      const inputs = results.map((q) => q.inputs as number[][]);
      const bucketed = r.bucketed as number[][];
      const perTensor = r.perTensor as number[][];
      for (const [i, values] of bucketed.entries()) {
        const mean = values.map((_, k) => inputs.reduce((a, inp) => a + inp[i]![k]!, 0) / world);
        for (const [k, v] of values.entries()) {
          // float32 sums of W values then a division: within a few float32 ulps of the float64 mean.
          expect(Math.abs(v - mean[k]!)).toBeLessThanOrEqual(4e-7 * (1 + Math.abs(mean[k]!)));
          expect(Math.abs(v - perTensor[i]![k]!)).toBeLessThanOrEqual(4e-7 * (1 + Math.abs(v)));
        }
        // Two ranks: a + b is the same whatever the chunking, so buckets equal per-tensor bit for bit.
        if (world === 2) expect(values).toEqual(perTensor[i]);
      }
    }
    // Every rank ends with the same reduced gradients.
    for (const r of results) expect(r.bucketed).toEqual(results[0]!.bucketed);
    // Ranks other than 0 waited ~400 ms in the barrier for rank 0, their 10 ms timer kept firing.
    for (const r of results.slice(1)) expect(r.ticksDuringBarrier as number).toBeGreaterThanOrEqual(3);
  });
});

describe.skipIf(NO_GLOO).each([2, 3])(
  "%i ranks, blocking collectives and the trainers' data-parallel helpers",
  (world) => {
    it('blocking all-reduce in order with queued ones; buckets; shares, sums, weighted means, gradients, broadcasts', async () => {
      const results = await run(world, 'blocking');
      const t = triangle(world);
      for (const [rank, r] of results.entries()) {
        expect(r.queued).toEqual([t]);
        expect(r.sums).toEqual([[t, 10 * t], [triangle(world - 1)]]);
        expect(r.avg).toEqual([t / world]);
        expect(r.max).toEqual([world - 1, 0]);
        expect(r.blockingBuckets).toBe(3); // ≤ 64 B: {48}, {20}, {32 + 28} of float32 [3,4] [5] [2,2,2] [7]
        expect(r.blockingBucketed).toEqual(r.queuedBucketed);
        expect(r.blockingBucketed).toEqual(results[0]!.blockingBucketed);
        // 10 items over W ranks: contiguous, the first 10 mod W ranks one more.
        const base = Math.floor(10 / world);
        const extra = 10 % world;
        const start = rank * base + Math.min(rank, extra);
        expect(r.range).toEqual([start, start + base + (rank < extra ? 1 : 0)]);
        expect(r.dpSum).toEqual([t - world / 2, world]);
        expect(r.dpMax).toEqual([world - 1, 0]);
        // Σ over ranks r < W−1 of 0.25 (r + 1) + 0.5·2 (r + 1) = 1.25 · Σ (r + 1); only<r>: 0.25 · 10.
        const combined: Record<string, number> = { all: 1.25 * triangle(world - 1) };
        for (let q = 0; q < world - 1; q++) combined[`only${q}`] = 2.5;
        expect(r.combined).toEqual(combined);
        // shared: Σ (r + 1) per element; partial: 2x from rank 0 alone (zeros elsewhere); unused stays without.
        expect(r.sharedGrad).toEqual([t, t]);
        expect(r.partialGrad).toEqual([6, 8]);
        expect(r.unusedGrad).toBeNull();
        expect(r.json).toEqual({ from: 0, text: 'é ✓', n: [1, 2] });
        expect(r.broadcastWeights).toEqual([0, 0, 0]);
      }
    });
  },
);
