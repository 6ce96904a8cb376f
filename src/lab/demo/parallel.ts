/**
 * The demo's stages over worker processes: every (seed, stage) is a job of one DAG, and up to
 * `workers` child processes (src/lab/demo/worker.ts) run the ready jobs, longest remaining path
 * first. Each worker is one libtorch process with one torch and one OpenBLAS thread: the lab's
 * models are so small that a second BLAS thread only spins (measured: one RL run takes 19.6 s with
 * OpenBLAS's default pool and 19.0 s with one thread; two such runs side by side on 2 cores, 20.5 s).
 * A stage writes only its own folder, so jobs of one seed never race, and a stage's results do
 * not depend on which process ran it (tested against the in-process pipeline).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { DemoPreset, LabFamily } from './config.ts';
import { type DemoStage, demoConfig, demoStages } from './pipeline.ts';

/** A request to a worker, and its replies. */
export type WorkerRequest = {
  kind: 'run';
  out: string;
  preset: DemoPreset;
  family?: LabFamily;
  seed: number;
  stage: string;
};
export type WorkerReply =
  | { kind: 'log'; line: string }
  | { kind: 'done'; seconds: number }
  | { kind: 'failed'; message: string };

export interface StageTiming {
  seed: number;
  stage: string;
  seconds: number;
}

interface Job {
  seed: number;
  out: string;
  stage: DemoStage;
  /** Its cost plus the longest chain of stages waiting on it: the scheduler's priority. */
  priority: number;
  state: 'waiting' | 'running' | 'done';
}

export interface ParallelDemoOptions {
  preset: DemoPreset;
  /** The architecture of the lab's models (default gpt_neox). */
  family?: LabFamily;
  /** One folder per seed. */
  seeds: { seed: number; out: string }[];
  workers: number;
  log: (msg: string) => void;
}

/**
 * Runs every seed's stages on `workers` processes and returns the time of each stage that ran
 * (cached stages are skipped without starting a worker). A failed stage lets the running ones
 * finish, starts nothing new, and is thrown as an error naming the seed and the stage.
 */
export async function runStagesInParallel(o: ParallelDemoOptions): Promise<StageTiming[]> {
  const jobs: Job[] = [];
  for (const { seed, out } of o.seeds) {
    const stages = demoStages(out, demoConfig(o.preset, seed, o.family));
    const byId = new Map(stages.map((s) => [s.id, s]));
    const priority = new Map<string, number>();
    const priorityOf = (s: DemoStage): number => {
      const known = priority.get(s.id);
      if (known !== undefined) return known;
      const next = stages.filter((t) => t.after.includes(s.id)).map(priorityOf);
      const p = s.cost + Math.max(0, ...next);
      priority.set(s.id, p);
      return p;
    };
    for (const stage of stages) {
      for (const dep of stage.after)
        if (!byId.has(dep)) throw new Error(`demo: stage ${stage.id} waits on unknown stage ${dep}`);
      jobs.push({ seed, out, stage, priority: priorityOf(stage), state: stage.done() ? 'done' : 'waiting' });
    }
  }
  const total = jobs.filter((j) => j.state === 'waiting').length;
  const timings: StageTiming[] = [];
  if (total === 0) return timings;

  const isDone = (seed: number, id: string) =>
    jobs.some((j) => j.seed === seed && j.stage.id === id && j.state === 'done');
  const ready = () =>
    jobs
      .filter((j) => j.state === 'waiting' && j.stage.after.every((d) => isDone(j.seed, d)))
      .sort((a, b) => b.priority - a.priority || a.seed - b.seed);
  const tag = (j: Job) => (o.seeds.length > 1 ? `seed ${j.seed} · ${j.stage.id}` : j.stage.id);

  const pool = Array.from({ length: Math.max(1, Math.min(o.workers, total)) }, () => new StageWorker());
  let failure: Error | null = null;
  let finished = 0;
  try {
    await new Promise<void>((resolve) => {
      const dispatch = () => {
        if (failure === null)
          for (const worker of pool) {
            if (worker.busy) continue;
            const job = ready()[0];
            if (!job) break;
            job.state = 'running';
            worker
              .run(
                {
                  kind: 'run',
                  out: job.out,
                  preset: o.preset,
                  family: o.family,
                  seed: job.seed,
                  stage: job.stage.id,
                },
                (line) => o.log(o.seeds.length > 1 ? `[seed ${job.seed}] ${line}` : line),
              )
              .then(
                (seconds) => {
                  job.state = 'done';
                  finished += 1;
                  timings.push({ seed: job.seed, stage: job.stage.id, seconds });
                  o.log(`✓ ${tag(job)} (${seconds.toFixed(1)} s, ${finished}/${total})`);
                },
                (e: Error) => {
                  job.state = 'waiting';
                  failure ??= new Error(`demo: ${tag(job)} failed: ${e.message}`);
                },
              )
              .finally(dispatch);
          }
        if (pool.every((w) => !w.busy)) resolve();
      };
      dispatch();
    });
  } finally {
    for (const worker of pool) worker.close();
  }
  if (failure) throw failure;
  const stuck = jobs.filter((j) => j.state !== 'done');
  if (stuck.length > 0)
    throw new Error(
      `demo: stages never became ready: ${stuck.map(tag).join(', ')} (a cycle in their order?)`,
    );
  return timings;
}

/** The worker module: the compiled .js beside this file, or the .ts source run through tsx in a checkout. */
function workerCommand(): { script: string; execArgv: string[] } {
  const here = import.meta.url;
  const ts = here.endsWith('.ts');
  const script = fileURLToPath(new URL(ts ? './worker.ts' : './worker.js', here));
  if (!ts) return { script, execArgv: [] };
  const tsx = pathToFileURL(createRequire(here).resolve('tsx')).href;
  return { script, execArgv: ['--import', tsx] };
}

/** One child process running one stage at a time. */
class StageWorker {
  private readonly child: ChildProcess;
  private pending: {
    onLog: (line: string) => void;
    resolve: (seconds: number) => void;
    reject: (e: Error) => void;
  } | null = null;
  private exited: string | null = null;

  constructor() {
    const { script, execArgv } = workerCommand();
    this.child = fork(script, [], {
      execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: {
        ...process.env,
        OPENBLAS_NUM_THREADS: process.env.OPENBLAS_NUM_THREADS ?? '1',
        MAXENT_THREADS: process.env.MAXENT_THREADS ?? '1',
      },
    });
    this.child.on('message', (m: WorkerReply) => {
      const p = this.pending;
      if (!p) return;
      if (m.kind === 'log') p.onLog(m.line);
      else {
        this.pending = null;
        if (m.kind === 'done') p.resolve(m.seconds);
        else p.reject(new Error(m.message));
      }
    });
    this.child.on('exit', (code, signal) => {
      this.exited = signal ? `killed by ${signal}` : `exited with code ${code}`;
      const p = this.pending;
      this.pending = null;
      p?.reject(new Error(`its worker process ${this.exited}`));
    });
    this.child.on('error', (e) => {
      const p = this.pending;
      this.pending = null;
      p?.reject(new Error(`its worker process failed: ${e.message}`));
    });
  }

  get busy(): boolean {
    return this.pending !== null;
  }

  run(request: WorkerRequest, onLog: (line: string) => void): Promise<number> {
    return new Promise((resolve, reject) => {
      if (this.exited) {
        reject(new Error(`its worker process ${this.exited}`));
        return;
      }
      this.pending = { onLog, resolve, reject };
      this.child.send(request);
    });
  }

  close(): void {
    if (this.exited) return;
    if (this.child.connected) this.child.disconnect();
    if (this.pending) this.child.kill('SIGTERM');
  }
}
