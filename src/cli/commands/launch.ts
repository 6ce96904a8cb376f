/**
 * `maxent-rlhf launch --nproc N [--master-port P] [--master-addr A] [--nnodes M --node-rank R] -- <command…>`
 *
 * Starts N worker processes on this host with the torchrun variables (MASTER_ADDR, MASTER_PORT,
 * WORLD_SIZE, RANK, LOCAL_RANK, LOCAL_WORLD_SIZE, GROUP_RANK), prefixes every line they print with
 * `[rank R] `, forwards SIGINT/SIGTERM/SIGHUP to them, and when one exits non-zero stops the others
 * (SIGTERM, then SIGKILL after a grace period) and fails naming that rank. Multi-node: run the same
 * command on every host with the same --nnodes, --master-addr and --master-port, and --node-rank 0…M−1.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';

export interface LaunchOptions {
  nproc: number;
  masterAddr: string;
  masterPort?: number;
  nnodes: number;
  nodeRank: number;
  /** Seconds between SIGTERM and SIGKILL when stopping workers. */
  stopGrace: number;
}

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

function positiveInt(flag: string, min: number) {
  return (v: string) => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || n < min)
      throw new Error(`${flag} expects an integer ≥ ${min}, got "${v}"`);
    return n;
  };
}

export function registerLaunchCommand(program: Command): void {
  program
    .command('launch')
    .description(
      'run a command as N data-parallel workers (torchrun variables), rank-prefixed output; one failure stops all',
    )
    .requiredOption('--nproc <n>', 'workers on this host', positiveInt('--nproc', 1))
    .option('--master-addr <host>', "rank 0's host, reachable from every node", '127.0.0.1')
    .option(
      '--master-port <port>',
      'rendezvous port on the master (default: a free port; required with --nnodes > 1)',
      positiveInt('--master-port', 1),
    )
    .option('--nnodes <m>', 'hosts taking part (run launch on each)', positiveInt('--nnodes', 1), 1)
    .option('--node-rank <r>', 'index of this host, 0 … nnodes − 1', positiveInt('--node-rank', 0), 0)
    .option('--stop-grace <s>', 'seconds between SIGTERM and SIGKILL when stopping workers', Number, 10)
    .argument('<command...>', 'the worker command, after --')
    .action(async (command: string[], opts: LaunchOptions) => {
      const code = await runLaunch(command, opts);
      if (code !== 0) process.exit(code);
    });
}

/** A port that was free a moment ago (the OS picks it). */
function freePort(host: string): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.on('error', fail);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => ok(port));
    });
  });
}

/** Copies a stream line by line to `out`, each line prefixed. */
function pipePrefixed(
  stream: NodeJS.ReadableStream,
  out: NodeJS.WritableStream,
  prefix: string,
): Promise<void> {
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  lines.on('line', (line) => out.write(`${prefix}${line}\n`));
  return new Promise((ok) => lines.on('close', ok));
}

interface Exit {
  rank: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  spawnError?: string;
}

const describeExit = (e: Exit) =>
  e.spawnError
    ? `rank ${e.rank} could not start (${e.spawnError})`
    : e.signal
      ? `rank ${e.rank} was killed by ${e.signal}`
      : `rank ${e.rank} exited with code ${e.code}`;

/**
 * The command each worker runs. `maxent-rlhf …` is this very program, run by this Node with the
 * script this process was started from (bin/maxent-rlhf.mjs in a checkout, where no `maxent-rlhf`
 * is on PATH; the installed dist/bin.js otherwise), so workers run the same version as the launcher.
 */
export function workerCommand(command: readonly string[], self = process.argv[1]): string[] {
  if (command[0] === 'maxent-rlhf' && self) return [process.execPath, self, ...command.slice(1)];
  return [...command];
}

/**
 * Runs the workers to completion. Resolves 0 when all succeeded, 128 + n after a forwarded signal n;
 * throws naming the first rank that failed (after stopping the others).
 */
export async function runLaunch(command: string[], opts: LaunchOptions): Promise<number> {
  if (command.length === 0) throw new Error('launch: no worker command (give it after --)');
  if (opts.nodeRank >= opts.nnodes)
    throw new Error(`launch: --node-rank ${opts.nodeRank} must be below --nnodes ${opts.nnodes}`);
  if (opts.nnodes > 1 && opts.masterPort === undefined)
    throw new Error('launch: --master-port is required with --nnodes > 1 (every node must use the same)');
  if (opts.nnodes > 1 && ['127.0.0.1', 'localhost'].includes(opts.masterAddr))
    throw new Error(
      'launch: with --nnodes > 1, --master-addr must be the address of node 0 as the others reach it',
    );
  if (!(opts.stopGrace >= 0))
    throw new Error(`launch: --stop-grace expects seconds ≥ 0, got ${opts.stopGrace}`);
  const port = opts.masterPort ?? (await freePort(opts.masterAddr));
  const world = opts.nproc * opts.nnodes;
  // Each worker gets its share of the cores for BLAS/OpenMP unless the user chose (torchrun sets 1).
  const share = String(Math.max(1, Math.floor(availableParallelism() / opts.nproc)));

  const exits: Exit[] = [];
  let failure: Exit | null = null;
  let forwarded: NodeJS.Signals | null = null;
  let killTimer: NodeJS.Timeout | undefined;
  const children: ChildProcess[] = [];
  const running = new Set<ChildProcess>();

  const signalAll = (signal: NodeJS.Signals) => {
    for (const child of running) {
      try {
        // Each worker leads its own process group: signal everything it started too.
        process.kill(-child.pid!, signal);
      } catch {
        child.kill(signal);
      }
    }
  };
  const stopAll = () => {
    signalAll('SIGTERM');
    killTimer ??= setTimeout(() => signalAll('SIGKILL'), opts.stopGrace * 1000);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    forwarded ??= signal;
    process.stderr.write(`[launch] ${signal}: forwarding to ${running.size} worker(s)\n`);
    signalAll(signal);
    killTimer ??= setTimeout(() => signalAll('SIGKILL'), opts.stopGrace * 1000);
  };
  const handled: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of handled) process.on(s, onSignal);

  const [file, ...args] = workerCommand(command);
  const finished = Array.from({ length: opts.nproc }, (_, local) => {
    const rank = opts.nodeRank * opts.nproc + local;
    const child = spawn(file!, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      env: {
        OMP_NUM_THREADS: share,
        OPENBLAS_NUM_THREADS: share,
        ...process.env,
        MASTER_ADDR: opts.masterAddr,
        MASTER_PORT: String(port),
        WORLD_SIZE: String(world),
        RANK: String(rank),
        LOCAL_RANK: String(local),
        LOCAL_WORLD_SIZE: String(opts.nproc),
        GROUP_RANK: String(opts.nodeRank),
      },
    });
    children.push(child);
    running.add(child);
    const output = Promise.all([
      pipePrefixed(child.stdout!, process.stdout, `[rank ${rank}] `),
      pipePrefixed(child.stderr!, process.stderr, `[rank ${rank}] `),
    ]);
    return new Promise<void>((ok) => {
      let spawnError: string | undefined;
      child.on('error', (e) => {
        spawnError = `${command[0]}: ${e.message}`;
      });
      child.on('close', async (code, signal) => {
        await output;
        running.delete(child);
        const exit: Exit = { rank, code, signal, spawnError };
        exits.push(exit);
        const failed = spawnError !== undefined || code !== 0;
        if (failed && failure === null && forwarded === null) {
          failure = exit;
          if (running.size > 0)
            process.stderr.write(
              `[launch] ${describeExit(exit)}: stopping the other ${running.size} worker(s)\n`,
            );
          stopAll();
        }
        ok();
      });
    });
  });
  try {
    await Promise.all(finished);
  } finally {
    clearTimeout(killTimer);
    for (const s of handled) process.off(s, onSignal);
  }
  if (forwarded !== null) return 128 + (SIGNAL_NUMBERS[forwarded] ?? 0);
  if (failure !== null) {
    const others = exits.filter((e) => e !== failure && (e.code !== 0 || e.signal !== null)).length;
    throw new Error(
      `launch: ${describeExit(failure)}${others > 0 ? ` (${others} other worker(s) stopped)` : ''}; command: ${command.join(' ')}`,
    );
  }
  return 0;
}
