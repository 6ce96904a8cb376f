/**
 * `maxent-rlhf doctor`: whether this machine can run maxent-rlhf — Node, libtorch, the addon, BLAS,
 * threads, CUDA — and, for each problem, what to do. It never needs the addon to load, so it also
 * explains a broken install. Exits non-zero when a check fails (warnings alone do not).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { addonPath, packageRoot, rebuildHint } from '../../native/addon-path.ts';
import { blasFlavour, threadPolicy } from '../../native/thread-policy.ts';

export type Level = 'ok' | 'warn' | 'fail';
export interface Finding {
  check: 'node' | 'libtorch' | 'addon' | 'blas' | 'threads' | 'c10d' | 'cuda';
  level: Level;
  message: string;
}

/** scripts/libtorch.mjs: the one description of where libtorch is, shared with the addon build. */
interface LibtorchModule {
  INSTALL_HINT: string;
  locateLibtorch(o: { env: NodeJS.ProcessEnv }): {
    id: string;
    system: boolean;
    root: string;
    version: string;
    cuda: boolean;
    problems: string[];
  };
  cxxStandard(torch: ReturnType<LibtorchModule['locateLibtorch']>): number;
}

const MIN_NODE = [20, 19];

function positiveInt(v: string | undefined): number | null {
  if (v === undefined) return null;
  const n = Number(v);
  return Number.isInteger(n) && n > 0 ? n : Number.NaN;
}

function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Every check, in order; `env` stands for the environment maxent-rlhf would run in. */
export async function diagnose(env: NodeJS.ProcessEnv = process.env): Promise<Finding[]> {
  const out: Finding[] = [];
  const add = (check: Finding['check'], level: Level, message: string) => out.push({ check, level, message });

  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  if (major > MIN_NODE[0]! || (major === MIN_NODE[0] && minor >= MIN_NODE[1]!))
    add('node', 'ok', `Node ${process.versions.node}`);
  else
    add(
      'node',
      'fail',
      `Node ${process.versions.node} is older than ${MIN_NODE.join('.')}: install Node ≥ 20.19`,
    );

  const root = packageRoot();
  const lib = (await import(pathToFileURL(join(root, 'scripts/libtorch.mjs')).href)) as LibtorchModule;
  const torch = lib.locateLibtorch({ env });
  const where = torch.system ? "Debian's libtorch-dev under /usr" : `LIBTORCH=${torch.root}`;
  if (torch.problems.length)
    add(
      'libtorch',
      'fail',
      `${torch.system ? `${where}: ` : ''}${torch.problems.join('; ')}: ${lib.INSTALL_HINT}`,
    );
  else
    add(
      'libtorch',
      'ok',
      `libtorch ${torch.version}, ${torch.cuda ? 'CUDA' : 'CPU-only'} build (${where}); the addon compiles as C++${lib.cxxStandard(torch)}`,
    );

  // The addon: built, for this libtorch, not older than its sources, and loading.
  const path = addonPath();
  const stampFile = join(root, 'build/.libtorch');
  // The stamp's first line is the libtorch it was built against (the second, its compiler flags).
  const stamp = existsSync(stampFile) ? (readFileSync(stampFile, 'utf8').split('\n')[0] ?? '').trim() : null;
  let info: Awaited<ReturnType<typeof loadEngineInfo>> | null = null;
  if (!existsSync(path)) add('addon', 'fail', `not built (${path} missing): run ${rebuildHint()}`);
  else {
    if (stamp !== null && stamp !== torch.id)
      add(
        'addon',
        'fail',
        `built against ${stamp === 'system' ? "Debian's libtorch" : `LIBTORCH=${stamp}`}, but ${where} is selected now: run ${rebuildHint()}`,
      );
    if (newestMtime(join(root, 'native')) > statSync(path).mtimeMs)
      add('addon', 'warn', `native/ changed after the addon was built: run ${rebuildHint()}`);
    try {
      info = await loadEngineInfo();
      add('addon', 'ok', `${path} loads (libtorch ${info.torchVersion} at build time)`);
      if (!torch.problems.length && info.torchVersion !== torch.version)
        add(
          'addon',
          'warn',
          `built with libtorch ${info.torchVersion} headers, ${torch.version} installed now: run ${rebuildHint()}`,
        );
    } catch (e) {
      add('addon', 'fail', (e as Error).message.replace(/^maxent-rlhf: /, ''));
    }
  }

  if (info) {
    const blas = blasFlavour(info);
    if (blas === 'openblas') add('blas', 'ok', 'OpenBLAS (its own thread pool)');
    else if (blas === 'mkl')
      add('blas', 'ok', `MKL (on torch's intra-op threads)${info.mkldnnAvailable ? ', oneDNN' : ''}`);
    else
      add(
        'blas',
        'warn',
        "libtorch's BLAS is neither OpenBLAS nor MKL (Debian's reference libblas3?): matrix products run several times slower; apt-get install libopenblas0",
      );
  }

  const cores = availableParallelism();
  const torchThreads = positiveInt(env.MAXENT_THREADS);
  const blasThreads = positiveInt(env.OPENBLAS_NUM_THREADS);
  if (Number.isNaN(torchThreads))
    add(
      'threads',
      'fail',
      `MAXENT_THREADS=${env.MAXENT_THREADS} is not a positive integer (torch intra-op threads)`,
    );
  if (Number.isNaN(blasThreads))
    add('threads', 'fail', `OPENBLAS_NUM_THREADS=${env.OPENBLAS_NUM_THREADS} is not a positive integer`);
  const policy = threadPolicy(
    info ?? { openblasSymbol: false, mklAvailable: false },
    Number.isNaN(torchThreads) ? { ...env, MAXENT_THREADS: undefined } : env,
    cores,
  );
  const intra = policy.intraOp;
  const blas = Number.isNaN(blasThreads) ? cores : (blasThreads ?? cores);
  if (intra > cores) add('threads', 'warn', `MAXENT_THREADS=${intra} exceeds the ${cores} cores`);
  if (intra > 1 && blas > 1 && policy.blas === 'openblas')
    add(
      'threads',
      'warn',
      `torch intra-op ${intra} × OpenBLAS ${blas} threads oversubscribe ${cores} cores when BLAS runs inside torch's parallel regions: keep MAXENT_THREADS=1 (the default) or set OPENBLAS_NUM_THREADS=1`,
    );
  if (!out.some((f) => f.check === 'threads'))
    add(
      'threads',
      'ok',
      `torch intra-op ${intra}${policy.blas === 'openblas' ? `, OpenBLAS ${blasThreads ?? `all ${cores}`}` : ''} of ${cores} cores (${policy.reason})`,
    );

  if (info) {
    const backends = info.distBackends;
    if (backends.includes('gloo')) add('c10d', 'ok', `c10d backends: ${backends.join(', ')}`);
    else
      add(
        'c10d',
        'warn',
        `c10d backends: ${backends.length ? backends.join(', ') : 'none'}; no Gloo, so no multi-process training on CPU: ${
          torch.system
            ? `apt-get install libgloo-dev, then run ${rebuildHint()}`
            : 'this libtorch ships no Gloo headers and Gloo headers from elsewhere need not match the Gloo inside it (docs/distributed.md)'
        }`,
      );
  }

  const gpuPresent = existsSync('/proc/driver/nvidia/version') || existsSync('/dev/nvidia0');
  if (torch.cuda && info && !info.cudaAvailable)
    add(
      'cuda',
      'fail',
      'a CUDA libtorch, but no usable GPU (check the driver with nvidia-smi, and CUDA_VISIBLE_DEVICES)',
    );
  else if (info?.cudaAvailable) add('cuda', 'ok', `${info.cudaDevices} CUDA device(s): device: 'cuda' works`);
  else if (gpuPresent)
    add(
      'cuda',
      'warn',
      'an NVIDIA GPU is present but libtorch is CPU-only: point LIBTORCH at a CUDA libtorch and rebuild the addon',
    );
  else add('cuda', 'ok', "no CUDA (CPU only; device: 'cuda' needs a CUDA libtorch via LIBTORCH)");
  return out;
}

async function loadEngineInfo() {
  const { engineInfo } = await import('../../tensor/runtime.ts');
  const { native } = await import('../../native/binding.ts');
  return { ...engineInfo(), distBackends: native.distBackends() };
}

/** Prints the findings; throws (a non-zero exit) when any check failed. */
export async function runDoctor(
  opts: { json?: boolean },
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const findings = await diagnose(env);
  if (opts.json) console.log(JSON.stringify(findings, null, 2));
  else for (const f of findings) console.log(`${f.level.padEnd(5)} ${f.check.padEnd(9)} ${f.message}`);
  const failed = findings.filter((f) => f.level === 'fail').length;
  if (failed) throw new Error(`doctor: ${failed} check${failed === 1 ? '' : 's'} failed (see above)`);
}
