/**
 * A demo worker process (forked by src/lab/demo/parallel.ts): runs the stages its parent sends,
 * one at a time, and answers each with `done` or `failed`; its log lines go to the parent. It
 * exits when the parent disconnects.
 */
import { LabModels } from '../../trainers/adapters/index.ts';
import type { WorkerReply, WorkerRequest } from './parallel.ts';
import { demoConfig, demoStages } from './pipeline.ts';

const send = (reply: WorkerReply) => process.send?.(reply);

async function runStage(r: WorkerRequest): Promise<void> {
  const started = Date.now();
  try {
    const stage = demoStages(r.out, demoConfig(r.preset, r.seed, r.family)).find((s) => s.id === r.stage);
    if (!stage) throw new Error(`no stage "${r.stage}" in the ${r.preset} preset`);
    const log = (line: string) => send({ kind: 'log', line });
    if (!stage.done()) await stage.run({ models: new LabModels(), log, progress: false });
    send({ kind: 'done', seconds: (Date.now() - started) / 1000 });
  } catch (e) {
    send({ kind: 'failed', message: e instanceof Error ? e.message : String(e) });
  }
}

if (!process.send) {
  console.error('src/lab/demo/worker.ts runs as a child of `maxent-rlhf demo --jobs N`, not on its own');
  process.exitCode = 2;
} else {
  let queue = Promise.resolve();
  process.on('message', (r: WorkerRequest) => {
    queue = queue.then(() => runStage(r));
  });
  process.on('disconnect', () => {
    void queue.then(() => process.exit(0));
  });
}
