/**
 * The distributed API in one process: the torchrun variables (every malformed one named), the
 * single-process group, a real c10d Gloo group of one rank (same results, same argument errors),
 * and the bucket plan.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DistributedEnvError,
  DistributedError,
  initProcessGroup,
  NativeProcessGroup,
  type ProcessGroup,
  planBuckets,
  readDistEnv,
  SingleProcessGroup,
} from '../../src/distributed/index.ts';
import { native } from '../../src/native/binding.ts';
import { ones, tensor, zeros } from '../../src/tensor/index.ts';
import { NO_GLOO } from './fixtures/gloo.ts';

const GOOD = { WORLD_SIZE: '4', RANK: '2', MASTER_ADDR: '10.0.0.1', MASTER_PORT: '29500' };

describe('readDistEnv', () => {
  it('reads the torchrun variables', () => {
    expect(readDistEnv({ ...GOOD, LOCAL_RANK: '0' })).toEqual({
      masterAddr: '10.0.0.1',
      masterPort: 29500,
      worldSize: 4,
      rank: 2,
      localRank: 0,
    });
    expect(readDistEnv(GOOD)?.localRank).toBe(2); // one host: LOCAL_RANK defaults to RANK
  });
  it('a single process without WORLD_SIZE or with WORLD_SIZE=1', () => {
    expect(readDistEnv({})).toBeNull();
    expect(readDistEnv({ WORLD_SIZE: '1', RANK: '0' })).toBeNull();
  });
  it.each([
    [{ RANK: '0' }, 'WORLD_SIZE', /unset but RANK is set/],
    [{ ...GOOD, WORLD_SIZE: 'two' }, 'WORLD_SIZE', /expected an integer, got "two"/],
    [{ ...GOOD, WORLD_SIZE: '0' }, 'WORLD_SIZE', /must lie in \[1,/],
    [{ ...GOOD, RANK: '4' }, 'RANK', /must lie in \[0, 3\], got 4/],
    [{ ...GOOD, RANK: '-1' }, 'RANK', /expected an integer, got "-1"/],
    [{ ...GOOD, RANK: undefined }, 'RANK', /is unset \(WORLD_SIZE is 4\)/],
    [{ WORLD_SIZE: '1', RANK: '1' }, 'RANK', /must lie in \[0, 0\]/],
    [{ ...GOOD, LOCAL_RANK: '1.5' }, 'LOCAL_RANK', /expected an integer/],
    [{ ...GOOD, MASTER_ADDR: undefined }, 'MASTER_ADDR', /is unset/],
    [{ ...GOOD, MASTER_ADDR: 'a b' }, 'MASTER_ADDR', /host name or address/],
    [{ ...GOOD, MASTER_PORT: undefined }, 'MASTER_PORT', /is unset/],
    [{ ...GOOD, MASTER_PORT: 'http' }, 'MASTER_PORT', /expected an integer, got "http"/],
    [{ ...GOOD, MASTER_PORT: '70000' }, 'MASTER_PORT', /must lie in \[1, 65535\]/],
  ])('%o → an error naming %s', (env, variable, says) => {
    let caught: unknown;
    try {
      readDistEnv(env);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(DistributedEnvError);
    expect((caught as DistributedEnvError).variable).toBe(variable);
    expect((caught as Error).message).toMatch(new RegExp(`^${variable}: `));
    expect((caught as Error).message).toMatch(says);
  });
  it('initProcessGroup names a malformed timeout variable', async () => {
    await expect(initProcessGroup({ env: { ...GOOD, MAXENT_DIST_TIMEOUT: 'soon' } })).rejects.toThrow(
      /^MAXENT_DIST_TIMEOUT: expected seconds > 0, got "soon"/,
    );
  });
});

/** The same checks on both kinds of one-rank group. */
function behavesLikeOneRank(label: string, make: () => Promise<ProcessGroup>, skip = false) {
  describe.skipIf(skip)(label, () => {
    let group: ProcessGroup;
    beforeAll(async () => {
      group = await make();
    });
    afterAll(async () => {
      await group.destroy();
    });

    it('collectives over one rank are identities', async () => {
      expect([group.rank, group.worldSize]).toEqual([0, 1]);
      const t = tensor([1.5, -2, 3]);
      await group.allReduce(t, 'sum');
      await group.allReduce(t, 'avg');
      await group.allReduce(t, 'max');
      await group.broadcast(t, 0);
      expect(t.toArray()).toEqual([1.5, -2, 3]);
      const g = await group.allGather(
        tensor(
          [
            [1, 2],
            [3, 4],
          ],
          { dtype: 'int64' },
        ),
      );
      expect(g.shape).toEqual([1, 2, 2]);
      expect(g.toArray()).toEqual([1, 2, 3, 4]);
      g.dispose();
      await group.barrier();
    });

    it('bad arguments are DistributedErrors naming the collective and the rank', async () => {
      const cases: [() => Promise<unknown>, RegExp][] = [
        [
          () => group.allReduce(tensor([1, 2], { dtype: 'int64' }), 'avg'),
          /^allReduce\(avg\) on rank 0 of 1.*floating-point/,
        ],
        [
          () => group.allReduce(ones([2]), 'mean' as never),
          /^allReduce on rank 0 of 1: op must be one of sum, avg, max, min/,
        ],
        [
          () => group.broadcast(ones([2]), 1),
          /^broadcast on rank 0 of 1: src must be a rank in \[0, 0\], got 1/,
        ],
        [
          () => {
            const t = ones([2]);
            t.dispose();
            return group.barrier().then(() => group.allReduce(t));
          },
          /^allReduce\(sum\) on rank 0 of 1: the tensor was disposed/,
        ],
      ];
      for (const [run, says] of cases) {
        const e = await run().then(
          () => null,
          (err: unknown) => err,
        );
        expect(e, String(says)).toBeInstanceOf(DistributedError);
        expect((e as Error).message).toMatch(says);
        expect((e as DistributedError).rank).toBe(0);
      }
      // The group is still usable after argument errors.
      const t = ones([2]);
      await group.allReduce(t);
      expect(t.toArray()).toEqual([1, 1]);
    });
  });
}

behavesLikeOneRank('the single-process group', async () => initProcessGroup({ env: {} }));
behavesLikeOneRank(
  'a c10d Gloo group of one rank',
  async () => {
    const handle = await native.distInit({
      backend: 'gloo',
      masterAddr: '127.0.0.1',
      masterPort: 0,
      rank: 0,
      worldSize: 1,
      timeoutMs: 5000,
      initTimeoutMs: 5000,
      deviceHost: '127.0.0.1',
    });
    return new NativeProcessGroup(handle, 0);
  },
  NO_GLOO,
);

describe.skipIf(NO_GLOO)('what only a c10d group refuses', () => {
  it('tensors Gloo cannot send, strided views; a destroyed group', async () => {
    const group = new NativeProcessGroup(
      await native.distInit({
        backend: 'gloo',
        masterAddr: '127.0.0.1',
        masterPort: 0,
        rank: 0,
        worldSize: 1,
        timeoutMs: 5000,
        initTimeoutMs: 5000,
      }),
      0,
    );
    expect(group.master).toMatch(/^127\.0\.0\.1:\d+$/);
    await expect(group.allReduce(zeros([2], { dtype: 'bool' }))).rejects.toThrow(
      /^allReduce\(sum\) on rank 0 of 1 \(gloo, timeout 5000 ms\): gloo cannot transfer \[2\] bool/,
    );
    await expect(group.broadcast(ones([3, 2]).transpose(0, 1))).rejects.toThrow(/must be contiguous/);
    expect(group.failure).toBeNull(); // refused before reaching c10d: the group stays usable
    await group.barrier();
    await group.destroy();
    await group.destroy(); // idempotent
    await expect(group.barrier()).rejects.toThrow(/^barrier on rank 0 of 1: the process group was destroyed/);
  });
  it('SingleProcessGroup and NativeProcessGroup share the interface', () => {
    expect(new SingleProcessGroup().backend).toBe('local');
  });
});

describe('planBuckets', () => {
  it('fills buckets in order, splits on dtype changes and gives big tensors their own', () => {
    const ts = [ones([10]), ones([10]), ones([30]), ones([5], { dtype: 'float64' }), ones([1]), ones([1])];
    // float32 40 B, 40 B, 120 B; float64 40 B; float32 4 B, 4 B; cap 100 B.
    expect(planBuckets(ts, 100)).toEqual([[0, 1], [2], [3], [4, 5]]);
    expect(planBuckets(ts)).toEqual([[0, 1, 2], [3], [4, 5]]);
    expect(planBuckets([], 100)).toEqual([]);
    expect(() => planBuckets(ts, 0)).toThrow(/bucketBytes must be positive/);
    for (const t of ts) t.dispose();
  });
});
