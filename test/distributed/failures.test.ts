/**
 * Failures across processes end in a JS Error naming the rank, world size and collective, within a
 * bounded time, never a hang or a crash: a killed peer (detected when its connection closes, long
 * before the timeout), a silent peer (at the collective timeout), ranks that never join (at the init
 * timeout), and a group that already failed refuses further collectives.
 */
import { describe, expect, it } from 'vitest';
import { NO_GLOO } from './fixtures/gloo.ts';
import { freePort, startRanks } from './fixtures/ranks.ts';

interface Failure {
  name: string;
  message: string;
  collective: string;
  rank: number;
  worldSize: number;
}

describe.skipIf(NO_GLOO)('failing peers', () => {
  it('a peer killed mid-collective: the survivor gets a DistributedError well before the timeout', async () => {
    const ranks = await startRanks(2, 'dead-peer', await freePort(), {
      env: { MAXENT_DIST_TIMEOUT: '30', MAXENT_DIST_INIT_TIMEOUT: '90' },
    }).done;
    expect(ranks[1]!.signal).toBe('SIGKILL');
    const survivor = ranks[0]!;
    expect(survivor.code, survivor.stderr).toBe(0);
    const error = survivor.result!.error as Failure;
    expect(error).toMatchObject({
      name: 'DistributedError',
      collective: 'allReduce(sum)',
      rank: 0,
      worldSize: 2,
    });
    expect(error.message).toMatch(/^allReduce\(sum\) failed on rank 0 of 2 \(gloo, timeout 30000 ms\): .+/);
    // Detected from the closed connection, not by waiting out the 30 s timeout.
    const killedAt = ranks[1]!.result!.killedAt as number;
    const latency = (survivor.result!.failedAt as number) - killedAt;
    expect(latency).toBeGreaterThanOrEqual(0);
    expect(latency).toBeLessThan(30_000);
    const after = survivor.result!.after as Failure;
    expect(after.collective).toBe('barrier');
    expect(after.message).toMatch(
      /^barrier on rank 0 of 2 .*unusable after an earlier failure \(allReduce\(sum\): /,
    );
    console.log(
      `[distributed] a peer killed mid-collective was reported ${latency} ms after its death: ${error.message}`,
    );
  });

  it("a peer killed during a blocking all-reduce (the training step's): a DistributedError, then the group refuses", async () => {
    const ranks = await startRanks(2, 'dead-peer-blocking', await freePort(), {
      env: { MAXENT_DIST_TIMEOUT: '30', MAXENT_DIST_INIT_TIMEOUT: '90' },
    }).done;
    expect(ranks[1]!.signal).toBe('SIGKILL');
    const survivor = ranks[0]!;
    expect(survivor.code, survivor.stderr).toBe(0);
    const error = survivor.result!.error as Failure;
    expect(error).toMatchObject({
      name: 'DistributedError',
      collective: 'allReduce(sum)',
      rank: 0,
      worldSize: 2,
    });
    expect(error.message).toMatch(/^allReduce\(sum\) failed on rank 0 of 2 \(gloo, timeout 30000 ms\): .+/);
    const latency = (survivor.result!.failedAt as number) - (ranks[1]!.result!.killedAt as number);
    expect(latency).toBeLessThan(30_000);
    expect((survivor.result!.after as Failure).message).toMatch(
      /unusable after an earlier failure \(allReduce\(sum\): /,
    );
    console.log(
      `[distributed] blocking all-reduce: a killed peer was reported ${latency} ms after its death`,
    );
  });

  it('a silent peer: the waiting rank fails at the collective timeout', async () => {
    const { children, done } = startRanks(2, 'silent-peer', await freePort(), {
      env: { MAXENT_DIST_TIMEOUT: '1.5', MAXENT_DIST_INIT_TIMEOUT: '90' },
    });
    // The silent rank never exits on its own: stop it once the waiting rank has finished.
    children[0]!.on('exit', () => children[1]!.kill('SIGKILL'));
    const [waiting] = await done;
    expect(waiting!.code, waiting!.stderr).toBe(0);
    const error = waiting!.result!.error as Failure;
    expect(error).toMatchObject({ collective: 'allReduce(sum)', rank: 0, worldSize: 2 });
    expect(error.message).toMatch(
      /^allReduce\(sum\) failed on rank 0 of 2 \(gloo, timeout 1500 ms\): .*[Tt]imed out/,
    );
    const elapsed = waiting!.result!.elapsedMs as number;
    expect(elapsed).toBeGreaterThanOrEqual(1400);
    expect(elapsed).toBeLessThan(1500 + 10_000); // the timeout, not a hang
    console.log(`[distributed] silent peer: failed after ${elapsed} ms (timeout 1500 ms)`);
  });

  it('ranks that never join: init fails at the init timeout, naming the rank and how many joined', async () => {
    const port = await freePort();
    // Only rank 0 of 2 (the store's server) …
    const [master] = await startRanks(2, 'collectives', port, {
      ranks: [0],
      env: { MAXENT_DIST_INIT_TIMEOUT: '1.5' },
    }).done;
    expect(master!.code).toBe(1);
    expect(master!.stderr).toMatch(
      /initProcessGroup\(gloo\) failed on rank 0 of 2 .*1 of 2 ranks joined within 1500 ms/,
    );
    // … and only rank 1 of 2, with no server to connect to.
    const [worker] = await startRanks(2, 'collectives', await freePort(), {
      ranks: [1],
      env: { MAXENT_DIST_INIT_TIMEOUT: '1.5' },
    }).done;
    expect(worker!.code).toBe(1);
    expect(worker!.stderr).toMatch(
      /initProcessGroup\(gloo\) failed on rank 1 of 2 \(master 127\.0\.0\.1:\d+, init timeout 1500 ms\)/,
    );
  });
});
