/** `maxent-rlhf info`: libtorch version, build flags, threads, CUDA availability, the device `auto` picks. */
import { availableBackends } from '../../distributed/index.ts';
import { applyDefaultThreads, engineInfo, resolveDevice } from '../../tensor/index.ts';

const BLAS_NAMES = { openblas: 'OpenBLAS', mkl: 'MKL', other: 'neither OpenBLAS nor MKL' } as const;

export function runInfo(opts: { json?: boolean; config?: boolean }): void {
  applyDefaultThreads();
  const info = { ...engineInfo(), autoDevice: resolveDevice('auto'), distBackends: availableBackends() };
  const blas = info.threadPolicy.blas;
  const backends = info.distBackends;
  if (opts.json) {
    console.log(JSON.stringify(info, null, 2));
    return;
  }
  const lines = [
    `libtorch        ${info.torchVersion} (addon compiled as C++${info.cxxStandard}; c10d backends: ${backends.length ? backends.join(', ') : 'none'})`,
    `CUDA available  ${info.cudaAvailable ? `yes (${info.cudaDevices} device${info.cudaDevices === 1 ? '' : 's'})` : 'no'}`,
    `device: auto    ${info.autoDevice}`,
    `threads         torch intra-op ${info.numThreads}, inter-op ${info.numInteropThreads}${blas === 'openblas' ? `, OpenBLAS ${info.blasThreads}` : ''} (${info.threadPolicy.reason})`,
    `BLAS            ${BLAS_NAMES[blas]}; oneDNN ${info.mkldnnAvailable ? 'yes' : 'no'}`,
  ];
  console.log(lines.join('\n'));
  if (opts.config) console.log(`\n${info.buildConfig}\n${info.parallelInfo}`);
}
