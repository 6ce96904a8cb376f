#!/usr/bin/env node
// Prints compiler/linker flags for libtorch, for binding.gyp (libtorch.mjs says which libtorch).
import { cxx11Abi, locateLibtorch } from './libtorch.mjs';

const torch = locateLibtorch();
const what = process.argv[2];
if (what === 'cflags') {
  const flags = [`-I${torch.incDir}`, `-I${torch.incDir}/torch/csrc/api/include`, `-D_GLIBCXX_USE_CXX11_ABI=${cxx11Abi(torch)}`];
  console.log(flags.join(' '));
} else if (what === 'libs') {
  const libs = [`-L${torch.libDir}`, `-Wl,-rpath,${torch.libDir}`, '-ltorch', '-ltorch_cpu', '-lc10'];
  if (torch.cuda) libs.push('-Wl,--no-as-needed', '-ltorch_cuda', '-lc10_cuda', '-Wl,--as-needed');
  console.log(libs.join(' '));
} else if (what === 'version') {
  console.log(torch.version);
} else {
  console.error('usage: torch-flags.mjs cflags|libs|version');
  process.exit(2);
}
