/**
 * `maxent-rlhf launch`: the torchrun variables each worker gets, rank-prefixed output, a real c10d
 * group formed by launched workers, one failing (or killed) rank stopping the others with a
 * non-zero exit naming it, forwarded signals, and flag errors.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NO_GLOO } from './fixtures/gloo.ts';
import { REPO } from './fixtures/ranks.ts';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Workers of the failure tests say they are ready by creating READY_DIR/<rank>. */
const READY_DIR = mkdtempSync(join(tmpdir(), 'launch-ready-'));
afterAll(() => rmSync(READY_DIR, { recursive: true, force: true }));

function launch(args: string[], onStart?: (child: ChildProcess) => void): Promise<Run> {
  const ready = mkdtempSync(join(READY_DIR, 'run-'));
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, ['bin/maxent-rlhf.mjs', 'launch', ...args], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, READY_DIR: ready },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', fail);
    child.on('close', (code) => ok({ code, stdout, stderr }));
    onStart?.(child);
  });
}

const lines = (text: string, rank: number) =>
  text
    .split('\n')
    .filter((l) => l.startsWith(`[rank ${rank}] `))
    .map((l) => l.slice(`[rank ${rank}] `.length));

// Workers that stay up until stopped, saying so when they get SIGTERM.
const STAYS_UP =
  "process.on('SIGTERM', () => { console.log('got SIGTERM'); process.exit(143); }); console.log('ready'); require('fs').writeFileSync(process.env.READY_DIR + '/' + process.env.RANK, ''); setTimeout(() => console.log('finished'), 60000);";
/** A worker that runs `then` once the other `n − 1` workers are ready. */
const whenOthersReady = (n: number, then: string) =>
  `const t = setInterval(() => { if (require('fs').readdirSync(process.env.READY_DIR).length === ${n - 1}) { clearInterval(t); ${then}; } }, 20);`;

describe.skipIf(NO_GLOO)('maxent-rlhf launch', () => {
  it('gives each worker the torchrun variables and prefixes its lines with the rank', async () => {
    const script =
      "const e = process.env; console.log(JSON.stringify([e.RANK, e.LOCAL_RANK, e.WORLD_SIZE, e.LOCAL_WORLD_SIZE, e.MASTER_ADDR, e.MASTER_PORT])); console.error('a warning'); process.stdout.write('no newline at the end')";
    const r = await launch(['--nproc', '3', '--', 'node', '-e', script]);
    expect(r.code, r.stderr).toBe(0);
    const ports = new Set<string>();
    for (const rank of [0, 1, 2]) {
      const [vars, tail] = lines(r.stdout, rank);
      const [RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT] = JSON.parse(vars!);
      expect([RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR]).toEqual([
        String(rank),
        String(rank),
        '3',
        '3',
        '127.0.0.1',
      ]);
      ports.add(MASTER_PORT);
      expect(tail).toBe('no newline at the end');
      expect(lines(r.stderr, rank)).toEqual(['a warning']);
    }
    expect(ports.size).toBe(1);
    expect(Number([...ports][0])).toBeGreaterThan(0);
  });

  it('node ranks: --nnodes 2 --node-rank 1 starts global ranks 2, 3 of 4', async () => {
    const r = await launch([
      ...[
        '--nproc',
        '2',
        '--nnodes',
        '2',
        '--node-rank',
        '1',
        '--master-addr',
        '10.1.2.3',
        '--master-port',
        '29555',
      ],
      ...[
        '--',
        'node',
        '-e',
        'console.log(process.env.RANK, process.env.LOCAL_RANK, process.env.WORLD_SIZE, process.env.MASTER_ADDR, process.env.MASTER_PORT, process.env.GROUP_RANK)',
      ],
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stdout, 2)).toEqual(['2 0 4 10.1.2.3 29555 1']);
    expect(lines(r.stdout, 3)).toEqual(['3 1 4 10.1.2.3 29555 1']);
  });

  it('launched workers form a c10d group', async () => {
    const r = await launch([
      '--nproc',
      '2',
      '--',
      process.execPath,
      'bin/run-ts.mjs',
      'test/distributed/fixtures/worker.ts',
      'sum',
    ]);
    expect(r.code, r.stderr).toBe(0);
    for (const rank of [0, 1]) {
      const result = JSON.parse(lines(r.stdout, rank).find((l) => l.startsWith('{'))!);
      expect(result).toMatchObject({ rank, worldSize: 2, backend: 'gloo', sum: [3], localRank: rank });
    }
  });

  it('a failing rank stops the others; the exit code is non-zero and the message names the rank', async () => {
    const script = `if (process.env.RANK === '1') { ${whenOthersReady(3, 'process.exit(3)')} } else { ${STAYS_UP} }`;
    const r = await launch(['--nproc', '3', '--', 'node', '-e', script]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\[launch\] rank 1 exited with code 3: stopping the other 2 worker\(s\)/);
    expect(r.stderr).toMatch(
      /maxent-rlhf: launch: rank 1 exited with code 3 \(2 other worker\(s\) stopped\)/,
    );
    for (const rank of [0, 2]) expect(lines(r.stdout, rank)).toEqual(['ready', 'got SIGTERM']);
  });

  it('a killed rank stops the others too', async () => {
    const script = `if (process.env.RANK === '0') { ${whenOthersReady(2, "process.kill(process.pid, 'SIGKILL')")} } else { ${STAYS_UP} }`;
    const r = await launch(['--nproc', '2', '--', 'node', '-e', script]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/launch: rank 0 was killed by SIGKILL/);
    expect(lines(r.stdout, 1)).toEqual(['ready', 'got SIGTERM']);
  });

  it('forwards SIGTERM to the workers and exits 128 + 15', async () => {
    let launcher: ChildProcess | undefined;
    const pending = launch(['--nproc', '2', '--', 'node', '-e', STAYS_UP], (c) => {
      launcher = c;
      let seen = '';
      let signalled = false;
      c.stdout!.on('data', (d) => {
        seen += d;
        // Once: a second SIGTERM would reach the workers again while they exit.
        if (!signalled && (seen.match(/ready/g) ?? []).length === 2) {
          signalled = true;
          c.kill('SIGTERM');
        }
      });
    });
    const r = await pending;
    expect(launcher).toBeDefined();
    expect(r.code).toBe(143);
    expect(r.stderr).toMatch(/\[launch\] SIGTERM: forwarding to 2 worker\(s\)/);
    for (const rank of [0, 1]) expect(lines(r.stdout, rank)).toEqual(['ready', 'got SIGTERM']);
  });

  it.each([
    [['--nproc', '0', '--', 'true'], /--nproc expects an integer ≥ 1, got "0"/],
    [
      ['--nproc', '2', '--nnodes', '2', '--master-addr', '10.0.0.1', '--', 'true'],
      /--master-port is required with --nnodes > 1/,
    ],
    [
      ['--nproc', '2', '--nnodes', '2', '--master-port', '29500', '--', 'true'],
      /--master-addr must be the address of node 0/,
    ],
    [
      [
        '--nproc',
        '1',
        '--nnodes',
        '2',
        '--node-rank',
        '2',
        '--master-addr',
        '10.0.0.1',
        '--master-port',
        '1',
        '--',
        'true',
      ],
      /--node-rank 2 must be below --nnodes 2/,
    ],
    [
      ['--nproc', '2', '--', 'no-such-command-for-launch'],
      /could not start \(no-such-command-for-launch: spawn no-such-command-for-launch ENOENT\)/,
    ],
  ])('%o → %s', async (args, says) => {
    const r = await launch(args);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(says);
  });
});
