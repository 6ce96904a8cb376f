// Where libtorch is, and what a build of the addon needs, in one place for torch-flags.mjs (the
// compiler flags binding.gyp asks for), build-addon.mjs (the install-time build) and
// `maxent-rlhf doctor`. Plain JavaScript: it runs at `npm install`, before anything is compiled.
// LIBTORCH=/path selects an unpacked libtorch (the official CPU or CUDA zip, or a pip torch's
// `torch/` folder); otherwise Debian's libtorch-dev under /usr is used.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** What to run when no libtorch is found (the one sentence every tool prints). */
export const INSTALL_HINT =
  'install Debian\'s libtorch (apt-get install libtorch-dev libopenblas0), or point LIBTORCH at an unpacked ' +
  'libtorch >= 1.13 (the CPU or CUDA "LibTorch" C++ zip from pytorch.org, or a pip torch\'s torch/ folder): ' +
  'LIBTORCH=/path/to/libtorch npm rebuild maxent-rlhf';

const DEBIAN_LIB_DIR = '/usr/lib/x86_64-linux-gnu';

/**
 * The libtorch a build would use: `env.LIBTORCH`, else Debian's under `systemRoot`.
 * @param {{ env?: NodeJS.ProcessEnv, systemRoot?: string, systemLibDir?: string }} [o]
 */
export function locateLibtorch(o = {}) {
  const env = o.env ?? process.env;
  const system = !env.LIBTORCH;
  const root = env.LIBTORCH || o.systemRoot || '/usr';
  const libDir = system ? (o.systemLibDir ?? DEBIAN_LIB_DIR) : join(root, 'lib');
  const incDir = join(root, 'include');
  const header = join(incDir, 'torch/csrc/api/include/torch/torch.h');
  const libraries = ['libtorch.so', 'libtorch_cpu.so', 'libc10.so'].map((f) => join(libDir, f));
  const problems = [];
  if (!system && !existsSync(root)) problems.push(`LIBTORCH=${root}: no such folder`);
  else {
    if (!existsSync(header)) problems.push(`no libtorch headers (${header} missing)`);
    for (const lib of libraries) if (!existsSync(lib)) problems.push(`no ${lib}`);
  }
  return {
    /** 'system' (Debian) or the LIBTORCH path: what the addon build is stamped with. */
    id: system ? 'system' : root,
    system,
    root,
    incDir,
    libDir,
    version: versionOf(incDir),
    cuda: existsSync(join(libDir, 'libtorch_cuda.so')),
    /** Empty when headers and libraries are all there. */
    problems,
  };
}

/**
 * libtorch's version from its headers: torch/csrc/api/include/torch/version.h holds the numbers up to
 * 2.x; later 2.x releases move them to a header it includes (torch/headeronly/version.h), followed here.
 */
function versionOf(incDir) {
  const seen = new Set();
  const read = (file) => {
    if (seen.has(file) || !existsSync(file)) return null;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    const part = (name) => text.match(new RegExp(`#define TORCH_VERSION_${name}\\s+(\\d+)`))?.[1];
    if (part('MAJOR') !== undefined) return `${part('MAJOR')}.${part('MINOR') ?? '?'}.${part('PATCH') ?? '?'}`;
    for (const m of text.matchAll(/#include\s+[<"]([^>"]*version\.h)[>"]/g)) {
      const found = read(join(incDir, m[1])) ?? read(join(incDir, 'torch/csrc/api/include', m[1]));
      if (found) return found;
    }
    return null;
  };
  return read(join(incDir, 'torch/csrc/api/include/torch/version.h')) ?? 'unknown';
}

/**
 * The C++ standard (17 or 20) the addon is compiled with: the one libtorch's CMake package asks of
 * its users (TorchConfig.cmake's CXX_STANDARD: 14 in Debian's 1.13, 20 from 2.13), never below the
 * addon's own C++17. Headers without their CMake files (the CI's header-only check): libtorch >= 2.13
 * needs C++20 (its headers use C++20 features, e.g. default member initialisers of bit-fields).
 */
export function cxxStandard(torch) {
  const configs = [
    join(torch.root, 'share/cmake/Torch/TorchConfig.cmake'),
    join(torch.libDir, 'cmake/Torch/TorchConfig.cmake'),
    join(torch.root, 'lib/cmake/Torch/TorchConfig.cmake'),
  ];
  const config = configs.find(existsSync);
  const asked = config ? Number(readFileSync(config, 'utf8').match(/CXX_STANDARD\s+(\d+)/)?.[1] ?? 17) : null;
  if (asked !== null) return Math.max(17, asked);
  const [major, minor] = torch.version.split('.').map(Number);
  return major > 2 || (major === 2 && minor >= 13) ? 20 : 17;
}

/** 1 when libtorch was built with the C++11 ABI (Debian's and the cxx11-abi zips), else 0. */
export function cxx11Abi(torch) {
  if (torch.system) return 1;
  if (!existsSync(join(torch.libDir, 'libc10.so'))) return 1; // headers only (a compile check): the default
  try {
    const syms = execFileSync('nm', ['-D', '--defined-only', join(torch.libDir, 'libc10.so')], {
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    });
    return syms.includes('__cxx11') ? 1 : 0;
  } catch {
    return 1;
  }
}

/** The folder holding Node's C headers (include/node/node_api.h), so node-gyp need not download them. */
export function nodeHeadersDir(env = process.env) {
  const candidates = [env.npm_config_nodedir, dirname(dirname(process.execPath))].filter(Boolean);
  return candidates.find((d) => existsSync(join(d, 'include/node/node_api.h'))) ?? null;
}

function onPath(cmd, env) {
  return (env.PATH ?? '').split(':').some((d) => d && existsSync(join(d, cmd)));
}

/**
 * Everything an offline build of the addon lacks, each with the command that fixes it (empty: ready).
 * @param {NodeJS.ProcessEnv} [env]
 */
export function buildProblems(env = process.env) {
  const torch = locateLibtorch({ env });
  const out = torch.problems.map((p) => `${p}: ${INSTALL_HINT}`);
  const cxx = env.CXX?.split(' ')[0] || 'g++';
  if (!onPath(cxx, env) && !existsSync(cxx)) out.push(`no C++ compiler (${cxx}): apt-get install g++`);
  if (!onPath('make', env)) out.push('no make: apt-get install make');
  if (!onPath('python3', env)) out.push('no python3 (node-gyp runs on it): apt-get install python3');
  if (!nodeHeadersDir(env))
    out.push(
      `Node's C headers are not next to ${process.execPath} (include/node/node_api.h), and node-gyp would ` +
        'download them: install a Node build that ships them (NodeSource or nodejs.org; Debian: apt-get install libnode-dev) ' +
        'or set npm_config_nodedir=/path/with/include/node',
    );
  return out;
}
