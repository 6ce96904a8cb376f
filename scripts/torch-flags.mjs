#!/usr/bin/env node
// Prints compiler/linker flags for libtorch, for binding.gyp (libtorch.mjs says which libtorch), and
// which c10d backends the addon's distributed bindings will have.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cxx11Abi, cxxStandard, locateLibtorch } from './libtorch.mjs';

const torch = locateLibtorch();
const firstExisting = (paths) => paths.find((p) => p && existsSync(p));

// c10d's Gloo backend: ProcessGroupGloo.hpp is empty without USE_C10D_GLOO and needs Gloo's headers
// (Debian: libgloo-dev, the same version as the libgloo0 that libtorch links). For another libtorch,
// only headers shipped with it (or named by GLOO_INCLUDE_DIR) are used: a mismatched Gloo breaks the ABI.
function glooInclude() {
  if (!existsSync(join(torch.incDir, 'torch/csrc/distributed/c10d/ProcessGroupGloo.hpp'))) return null;
  const candidates = [process.env.GLOO_INCLUDE_DIR, torch.incDir, torch.system ? '/usr/include' : null];
  return firstExisting(candidates.map((d) => d && join(d, 'gloo/config.h')))?.slice(0, -'/gloo/config.h'.length) ?? null;
}

// The CUDA and NCCL headers beside a pip CUDA torch: its dependencies' wheels unpack to
// site-packages/nvidia/<name>/include (CUDA 12: nccl/, cuda_runtime/, cublas/, ...; CUDA 13: nccl/ and
// one cu13/ for the toolkit). Empty for the zips and system installs.
function pipNvidiaIncludes() {
  const nvidia = join(dirname(torch.root), 'nvidia');
  if (torch.system || !existsSync(nvidia)) return [];
  return readdirSync(nvidia)
    .map((d) => join(nvidia, d, 'include'))
    .filter((d) => existsSync(d));
}

// ProcessGroupNCCL: a CUDA libtorch built with NCCL, plus nccl.h and the CUDA runtime headers (from
// NCCL_HOME / CUDA_HOME, the pip wheels beside a pip torch, or the system).
function ncclIncludes() {
  const cudaLib = join(torch.libDir, 'libtorch_cuda.so');
  if (!existsSync(cudaLib) || !existsSync(join(torch.incDir, 'torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp'))) return null;
  try {
    const syms = execFileSync('nm', ['-D', '--defined-only', cudaLib], { encoding: 'utf8', maxBuffer: 1 << 30 });
    if (!syms.includes('ProcessGroupNCCL')) return null;
  } catch {
    return null;
  }
  const cudaHome = process.env.CUDA_HOME || process.env.CUDA_PATH || '/usr/local/cuda';
  const pip = pipNvidiaIncludes();
  const nccl = firstExisting([
    process.env.NCCL_HOME && join(process.env.NCCL_HOME, 'include/nccl.h'),
    join(torch.incDir, 'nccl.h'),
    ...pip.map((d) => join(d, 'nccl.h')),
    join(cudaHome, 'include/nccl.h'),
    '/usr/include/nccl.h',
  ]);
  const cuda = firstExisting([
    join(cudaHome, 'include/cuda_runtime_api.h'),
    ...pip.map((d) => join(d, 'cuda_runtime_api.h')),
    '/usr/include/cuda_runtime_api.h',
  ]);
  if (!nccl || !cuda) return null;
  // ATen's CUDA headers also want cuBLAS, cuSPARSE and cuSOLVER's: from the same places.
  const cudaDirs = dirname(cuda).startsWith(join(dirname(torch.root), 'nvidia')) ? pip : [dirname(cuda)];
  return [...new Set([dirname(nccl), ...cudaDirs])];
}

const what = process.argv[2];
if (what === 'cflags') {
  // The C++ standard comes first in the line: binding.gyp removes node-gyp's own -std=gnu++NN.
  const flags = [`-std=c++${cxxStandard(torch)}`, `-I${torch.incDir}`, `-I${torch.incDir}/torch/csrc/api/include`, `-D_GLIBCXX_USE_CXX11_ABI=${cxx11Abi(torch)}`];
  const gloo = glooInclude();
  if (gloo) {
    flags.push('-DUSE_C10D_GLOO', '-DMX_WITH_GLOO');
    if (gloo !== '/usr/include' && gloo !== torch.incDir) flags.push(`-I${gloo}`);
  }
  const nccl = ncclIncludes();
  if (nccl) flags.push('-DUSE_C10D_NCCL', '-DMX_WITH_NCCL', ...nccl.map((d) => `-I${d}`));
  console.log(flags.join(' '));
} else if (what === 'libs') {
  const libs = [`-L${torch.libDir}`, `-Wl,-rpath,${torch.libDir}`, '-ltorch', '-ltorch_cpu', '-lc10'];
  if (torch.cuda) libs.push('-Wl,--no-as-needed', '-ltorch_cuda', '-lc10_cuda', '-Wl,--as-needed');
  console.log(libs.join(' '));
} else if (what === 'version') {
  console.log(torch.version);
} else if (what === 'distributed') {
  const backends = [glooInclude() && 'gloo', ncclIncludes() && 'nccl'].filter(Boolean);
  const why = torch.system
    ? 'install libgloo-dev for Gloo'
    : 'this libtorch ships no Gloo headers (see docs/distributed.md); NCCL needs a CUDA libtorch with nccl.h and the CUDA headers';
  console.log(`c10d backends: ${backends.length ? backends.join(', ') : 'none'}${backends.includes('gloo') ? '' : ` (${why})`}`);
} else {
  console.error('usage: torch-flags.mjs cflags|libs|version|distributed');
  process.exit(2);
}
