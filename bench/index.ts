/** `npm run bench`: every benchmark, each side by side with eager PyTorch in the same run. */
import { applyDefaultThreads, engineInfo } from '../src/tensor/index.ts';
import { runEngineBench } from './engine.ts';
import { formatTable } from './harness.ts';

applyDefaultThreads();
const info = engineInfo();
console.log(
  `libtorch ${info.torchVersion}, torch threads ${info.numThreads}, OpenBLAS threads ${info.blasThreads}\n`,
);
console.log('## Engine\n');
console.log(formatTable(runEngineBench()));
