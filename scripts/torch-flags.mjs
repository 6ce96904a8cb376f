#!/usr/bin/env node
// Prints compiler/linker flags for libtorch, for binding.gyp. LIBTORCH=/path selects an unpacked
// libtorch (official CPU or CUDA zip, or a pip torch's `torch/` folder); otherwise Debian's
// libtorch-dev under /usr is used.
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

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

const what = process.argv[2];
const version = versionString();
if (what === 'cflags') {
  const flags = [`-I${incDir}`, `-I${join(incDir, 'torch/csrc/api/include')}`, `-D_GLIBCXX_USE_CXX11_ABI=${cxx11Abi()}`];
  console.log(flags.join(' '));
} else if (what === 'libs') {
  const libs = [`-L${libDir}`, `-Wl,-rpath,${libDir}`, '-ltorch', '-ltorch_cpu', '-lc10'];
  if (existsSync(join(libDir, 'libtorch_cuda.so'))) {
    libs.push('-Wl,--no-as-needed', '-ltorch_cuda', '-lc10_cuda', '-Wl,--as-needed');
  }
  console.log(libs.join(' '));
} else if (what === 'version') {
  console.log(version);
} else {
  console.error('usage: torch-flags.mjs cflags|libs|version');
  process.exit(2);
}
