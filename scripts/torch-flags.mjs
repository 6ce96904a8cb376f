#!/usr/bin/env node
// Prints compiler/linker flags for libtorch, for binding.gyp. LIBTORCH=/path selects an unpacked
// libtorch (official CPU or CUDA zip, or a pip torch's `torch/` folder); otherwise Debian's
// libtorch-dev under /usr is used.
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';

const root = process.env.LIBTORCH || '/usr';
const system = !process.env.LIBTORCH;
const libDir = system ? '/usr/lib/x86_64-linux-gnu' : join(root, 'lib');
const incDir = join(root, 'include');

function versionString() {
  const header = join(incDir, 'torch/csrc/api/include/torch/version.h');
  if (!existsSync(header)) return 'unknown';
  const text = readFileSync(header, 'utf8');
  const part = (name) => text.match(new RegExp(`#define TORCH_VERSION_${name} (\\d+)`))?.[1] ?? '?';
  return `${part('MAJOR')}.${part('MINOR')}.${part('PATCH')}`;
}

function cxx11Abi() {
  if (system) return 1;
  try {
    const syms = execFileSync('nm', ['-D', '--defined-only', join(libDir, 'libc10.so')], { encoding: 'utf8', maxBuffer: 1 << 28 });
    return syms.includes('__cxx11') ? 1 : 0;
  } catch {
    return 1;
  }
}

const firstExisting = (paths) => paths.find((p) => p && existsSync(p));

// c10d's Gloo backend: ProcessGroupGloo.hpp is empty without USE_C10D_GLOO and needs Gloo's headers
// (Debian: libgloo-dev, the same version as the libgloo0 that libtorch links). For another libtorch,
// only headers shipped with it (or named by GLOO_INCLUDE_DIR) are used: a mismatched Gloo breaks the ABI.
function glooInclude() {
  if (!existsSync(join(incDir, 'torch/csrc/distributed/c10d/ProcessGroupGloo.hpp'))) return null;
  const candidates = [process.env.GLOO_INCLUDE_DIR, incDir, system ? '/usr/include' : null];
  return firstExisting(candidates.map((d) => d && join(d, 'gloo/config.h')))?.slice(0, -'/gloo/config.h'.length) ?? null;
}

// ProcessGroupNCCL: a CUDA libtorch built with NCCL, plus nccl.h and the CUDA runtime headers.
function ncclIncludes() {
  const cudaLib = join(libDir, 'libtorch_cuda.so');
  if (!existsSync(cudaLib) || !existsSync(join(incDir, 'torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp'))) return null;
  try {
    const syms = execFileSync('nm', ['-D', '--defined-only', cudaLib], { encoding: 'utf8', maxBuffer: 1 << 30 });
    if (!syms.includes('ProcessGroupNCCL')) return null;
  } catch {
    return null;
  }
  const cudaHome = process.env.CUDA_HOME || process.env.CUDA_PATH || '/usr/local/cuda';
  const nccl = firstExisting([process.env.NCCL_HOME && join(process.env.NCCL_HOME, 'include/nccl.h'), join(incDir, 'nccl.h'), join(cudaHome, 'include/nccl.h'), '/usr/include/nccl.h']);
  const cuda = firstExisting([join(cudaHome, 'include/cuda_runtime_api.h'), '/usr/include/cuda_runtime_api.h']);
  if (!nccl || !cuda) return null;
  return [...new Set([dirname(nccl), dirname(cuda)])];
}

const what = process.argv[2];
const version = versionString();
if (what === 'cflags') {
  const flags = [`-I${incDir}`, `-I${join(incDir, 'torch/csrc/api/include')}`, `-D_GLIBCXX_USE_CXX11_ABI=${cxx11Abi()}`];
  const gloo = glooInclude();
  if (gloo) {
    flags.push('-DUSE_C10D_GLOO', '-DMX_WITH_GLOO');
    if (gloo !== '/usr/include' && gloo !== incDir) flags.push(`-I${gloo}`);
    const nccl = ncclIncludes();
    if (nccl) flags.push('-DUSE_C10D_NCCL', '-DMX_WITH_NCCL', ...nccl.map((d) => `-I${d}`));
  }
  console.log(flags.join(' '));
} else if (what === 'libs') {
  const libs = [`-L${libDir}`, `-Wl,-rpath,${libDir}`, '-ltorch', '-ltorch_cpu', '-lc10'];
  if (existsSync(join(libDir, 'libtorch_cuda.so'))) {
    libs.push('-Wl,--no-as-needed', '-ltorch_cuda', '-lc10_cuda', '-Wl,--as-needed');
  }
  console.log(libs.join(' '));
} else if (what === 'version') {
  console.log(version);
} else if (what === 'distributed') {
  // What the addon's distributed bindings will support (printed by build-addon.sh).
  const gloo = glooInclude();
  const nccl = gloo ? ncclIncludes() : null;
  console.log(gloo ? `c10d backends: gloo${nccl ? ', nccl' : ''}` : 'c10d backends: none (install libgloo-dev for Gloo)');
} else {
  console.error('usage: torch-flags.mjs cflags|libs|version|distributed');
  process.exit(2);
}
