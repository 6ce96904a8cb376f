/**
 * Data-parallel communication: all-reduce of 20M float32 (80 MB, about a 20M-parameter model's
 * gradients) over 1 and 2 processes on this host with c10d Gloo, ours (src/distributed) beside
 * PyTorch's torch.distributed on the same libtorch build; plus the same elements as 80 gradient
 * tensors through our bucketed all-reduce (25 MiB buckets).
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { PYTHON } from './harness.ts';

const ROOT = resolve(import.meta.dirname, '..');

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}

/** Starts `world` ranks of a command on loopback; resolves rank 0's JSON line. */
async function runRanks(world: number, cmd: string, args: string[]): Promise<Record<string, number>> {
  const port = await freePort();
  const outputs = await Promise.all(
    Array.from(
      { length: world },
      (_, rank) =>
        new Promise<string>((ok, fail) => {
          const child = spawn(cmd, args, {
            cwd: ROOT,
            stdio: ['ignore', 'pipe', 'pipe'],
            env: {
              ...process.env,
              MASTER_ADDR: '127.0.0.1',
              MASTER_PORT: String(port),
              WORLD_SIZE: String(world),
              RANK: String(rank),
              LOCAL_RANK: String(rank),
              GLOO_SOCKET_IFNAME: 'lo',
              OMP_NUM_THREADS: '1',
            },
          });
          let out = '';
          let err = '';
          child.stdout.on('data', (d) => {
            out += d;
          });
          child.stderr.on('data', (d) => {
            err += d;
          });
          child.on('error', fail);
          child.on('close', (code) =>
            code === 0
              ? ok(out)
              : fail(new Error(`${cmd} ${args.join(' ')} rank ${rank} exited ${code}:\n${err}`)),
          );
        }),
    ),
  );
  return JSON.parse(outputs[0]!.trim().split('\n').pop()!);
}

export interface DistributedBenchRow {
  name: string;
  ours: number;
  torch: number;
  unit: string;
  speedup: number;
}

export async function runDistributedBench(
  n = 20_000_000,
  repeats = 5,
): Promise<{ rows: DistributedBenchRow[]; notes: string[] }> {
  const rows: DistributedBenchRow[] = [];
  const notes: string[] = [];
  const mb = (n * 4) / 1e6;
  for (const world of [1, 2]) {
    const ours = await runRanks(world, process.execPath, [
      'bin/run-ts.mjs',
      'bench/distributed-worker.ts',
      String(n),
      '80',
      String(repeats),
    ]);
    const torch = await runRanks(world, PYTHON, ['bench/distributed.py', JSON.stringify({ n, repeats })]);
    rows.push({
      name:
        world === 1
          ? `all-reduce ${n / 1e6}M float32, 1 process (no transfer)`
          : `all-reduce ${n / 1e6}M float32, ${world} processes`,
      ours: ours.allReduceMs!,
      torch: torch.allReduceMs!,
      unit: 'ms',
      speedup: torch.allReduceMs! / ours.allReduceMs!,
    });
    if (world > 1)
      notes.push(
        `${world} processes: one ${mb.toFixed(0)} MB tensor in ${ours.allReduceMs!.toFixed(1)} ms ` +
          `(${(mb / ours.allReduceMs!).toFixed(2)} GB/s of data reduced); the same elements as 80 tensors in ` +
          `${ours.buckets} buckets of ≤ 25 MiB: ${ours.bucketedMs!.toFixed(1)} ms (flatten + reduce + copy back)`,
      );
  }
  notes.push(
    'With one process both sides skip communication (our single-process group; Gloo with one rank).',
  );
  return { rows, notes };
}
