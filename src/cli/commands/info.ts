/** `maxent-rlhf info`: libtorch version, build flags, threads, CUDA availability, the device `auto` picks. */
import { applyDefaultThreads, engineInfo, resolveDevice } from '../../tensor/index.ts';

export function runInfo(opts: { json?: boolean; config?: boolean }): void {
  applyDefaultThreads();
  const info = { ...engineInfo(), autoDevice: resolveDevice('auto') };
  if (opts.json) {
    console.log(JSON.stringify(info, null, 2));
    return;
  }
  const lines = [
    `libtorch        ${info.torchVersion}`,
    `CUDA available  ${info.cudaAvailable ? `yes (${info.cudaDevices} device${info.cudaDevices === 1 ? '' : 's'})` : 'no'}`,
    `device: auto    ${info.autoDevice}`,
    `threads         torch intra-op ${info.numThreads}, inter-op ${info.numInteropThreads}, OpenBLAS ${info.blasThreads}`,
    `BLAS            ${info.openblasSymbol ? 'OpenBLAS' : info.mklAvailable ? 'MKL' : 'other'}; oneDNN ${info.mkldnnAvailable ? 'yes' : 'no'}`,
  ];
  console.log(lines.join('\n'));
  if (opts.config) console.log(`\n${info.buildConfig}\n${info.parallelInfo}`);
}
