/**
 * Data-parallel training throughput on this host: the SFT trainer (forward, backward, gradients
 * summed over ranks in buckets, AdamW) on a ≈20M-parameter GPT-NeoX with the same global batch in 1
 * process and over 2 ranks on loopback (c10d Gloo), started as `maxent-rlhf launch` starts them:
 * each rank gets its share of the cores for BLAS (2 threads for 1 process, 1 each for 2 ranks here).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');

/** Runs the worker under `maxent-rlhf launch --nproc world`; resolves rank 0's JSON line. */
function launch(world: number, args: string[], blasThreads?: number): Promise<Record<string, number>> {
  return new Promise((ok, fail) => {
    const env: Record<string, string | undefined> = { ...process.env };
    for (const v of ['OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'WORLD_SIZE', 'RANK']) delete env[v];
    if (blasThreads) env.OMP_NUM_THREADS = env.OPENBLAS_NUM_THREADS = String(blasThreads);
    const child = spawn(
      process.execPath,
      [
        'bin/maxent-rlhf.mjs',
        'launch',
        '--nproc',
        String(world),
        '--',
        process.execPath,
        'bin/run-ts.mjs',
        'bench/data-parallel-worker.ts',
        ...args,
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', fail);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('[rank 0] {'));
      if (code !== 0 || !line)
        fail(new Error(`data-parallel bench with ${world} rank(s) failed (${code}):\n${err}`));
      else ok(JSON.parse(line.slice('[rank 0] '.length)));
    });
  });
}

export async function runDataParallelBench(
  steps = 8,
  batch = 8,
): Promise<{ table: string; notes: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-dp-'));
  try {
    const cores = availableParallelism();
    const loadBefore = loadavg()[0]!;
    const rows: string[][] = [];
    let base = 0;
    let params = 0;
    // 1 process with every core, as launch gives it; then with one core, the share each of 2 ranks gets.
    const runs = [
      { world: 1, threads: Math.max(1, cores) },
      { world: 1, threads: 1 },
      { world: 2, threads: Math.max(1, Math.floor(cores / 2)) },
    ];
    for (const { world, threads } of runs) {
      const r = await launch(
        world,
        [join(dir, `w${world}t${threads}`), String(steps), String(batch)],
        threads,
      );
      base ||= r.stepMs!;
      params = r.params!;
      rows.push([
        `${world} process${world > 1 ? 'es' : ''} × ${threads} BLAS thread(s)`,
        (r.stepMs! / 1000).toFixed(2),
        (1000 / r.stepMs!).toFixed(3),
        `${(base / r.stepMs!).toFixed(2)}×`,
      ]);
    }
    const head = [`SFT, global batch ${batch} × 97 tokens`, 's/step', 'steps/s', 'vs the first row'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (c: string[]) => c.map((x, i) => x.padEnd(widths[i]!)).join('  ');
    const table = [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
    return {
      table,
      notes: [
        `${(params / 1e6).toFixed(1)}M parameters, ${cores} cores; mean of steps 3–${steps} (the first two warm up); ` +
          `load average ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after: on a shared machine ` +
          'other jobs take cores from the ranks and change these figures from run to run.',
      ],
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
