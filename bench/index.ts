/**
 * `npm run bench`: every benchmark, each side by side with eager PyTorch in the same run.
 * `node bin/run-ts.mjs bench/index.ts model` runs only the named sections (engine, model, online,
 * distributed, data-parallel, threads, scoring).
 */
import { applyDefaultThreads, engineInfo } from '../src/tensor/index.ts';
import { runDataParallelBench } from './data-parallel.ts';
import { runDistributedBench } from './distributed.ts';
import { runEngineBench } from './engine.ts';
import { formatTable } from './harness.ts';
import { runModelBench } from './model.ts';
import { runOnlineBench } from './online.ts';
import { runScoringBench } from './scoring.ts';
import { runThreadsBench } from './threads.ts';

applyDefaultThreads();
const info = engineInfo();
console.log(
  `libtorch ${info.torchVersion}, BLAS ${info.threadPolicy.blas}, torch threads ${info.numThreads} (${info.threadPolicy.reason}), OpenBLAS threads ${info.blasThreads}\n`,
);
const only = process.argv.slice(2);
const wanted = (section: string) => only.length === 0 || only.includes(section);
if (wanted('engine')) {
  console.log('## Engine\n');
  console.log(formatTable(runEngineBench()));
}
if (wanted('model')) {
  console.log('\n## GPT-NeoX models (the same weights and inputs on both sides)\n');
  const { rows, notes } = await runModelBench();
  console.log(formatTable(rows));
  console.log(`\n${notes.join('\n')}`);
}
if (wanted('online')) {
  console.log('\n## One online RLOO step (sample, score, update; the same weights on both sides)\n');
  const { rows, notes } = await runOnlineBench();
  console.log(formatTable(rows));
  console.log(`\n${notes.join('\n')}`);
}
if (wanted('scoring')) {
  console.log(
    '\n## Scoring pass with backward: the fused token-scoring op against the previous ATen chain\n',
  );
  const { table, notes } = runScoringBench();
  console.log(table);
  console.log(`\n${notes.join('\n')}`);
}
if (wanted('distributed')) {
  console.log('\n## Data-parallel all-reduce (c10d Gloo on loopback, this host)\n');
  const { rows, notes } = await runDistributedBench();
  console.log(formatTable(rows));
  console.log(`\n${notes.join('\n')}`);
}
if (wanted('data-parallel')) {
  console.log('\n## Data-parallel training (SFT, 1 process vs 2 ranks on this host)\n');
  const { table, notes } = await runDataParallelBench();
  console.log(table);
  console.log(`\n${notes.join('\n')}`);
}
if (wanted('threads')) {
  console.log('\n## Thread policy: sampling throughput by torch intra-op threads (this build)\n');
  const { table, notes } = runThreadsBench();
  console.log(table);
  console.log(`\n${notes.join('\n')}`);
}
