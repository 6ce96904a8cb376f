/** Timing and side-by-side helpers shared by the benchmarks. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Best wall time in seconds over `repeats` runs after `warmup` runs (best-of is robust to noise). */
export function bestTime(fn: () => unknown, repeats: number, warmup = 2): number {
  for (let i = 0; i < warmup; i++) fn();
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < repeats; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return best;
}

/**
 * Best wall and CPU seconds (this process, all threads: process.cpuUsage) over `repeats` runs after
 * `warmup` runs. On a shared machine CPU time depends much less on other processes' load than wall time.
 */
export function bestTimes(fn: () => unknown, repeats: number, warmup = 2): { wall: number; cpu: number } {
  for (let i = 0; i < warmup; i++) fn();
  let wall = Number.POSITIVE_INFINITY;
  let cpu = Number.POSITIVE_INFINITY;
  for (let i = 0; i < repeats; i++) {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    fn();
    const c = process.cpuUsage(c0);
    wall = Math.min(wall, Number(process.hrtime.bigint() - t0) / 1e9);
    cpu = Math.min(cpu, (c.user + c.system) / 1e6);
  }
  return { wall, cpu };
}

/** Debian's python3 with torch (python3-torch); MAXENT_PYTHON overrides. */
export const PYTHON = process.env.MAXENT_PYTHON ?? '/usr/bin/python3';

/**
 * Runs a Python reference script with a JSON spec argument and parses its JSON output; `env` adds
 * environment variables (e.g. the addon's malloc policy, model-python.ts's RETAIN_FREED_MEMORY_ENV).
 */
export function pythonTorch(script: string, spec: unknown, env: Record<string, string> = {}): unknown {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} not found: install python3-torch (npm run setup does)`);
  const out = execFileSync(PYTHON, [script, JSON.stringify(spec)], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    env: { ...process.env, ...env },
  });
  return JSON.parse(out.trim().split('\n').pop()!);
}

export function formatTable(
  rows: { name: string; ours: number; torch: number; unit: string; speedup: number }[],
): string {
  const head = ['benchmark', 'ours', 'PyTorch', 'unit', 'speed-up (>1: ours faster)'];
  const body = rows.map((r) => [
    r.name,
    r.ours.toFixed(r.ours < 10 ? 3 : 1),
    r.torch.toFixed(r.torch < 10 ? 3 : 1),
    r.unit,
    `${r.speedup.toFixed(2)}×`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
