/**
 * LoRA under data parallelism: `sft` with `lora` on 2 Gloo ranks (the CLI, as `launch` runs it)
 * against one process with the same global batch — the same metrics and adapter weights within
 * float32 reduction-order tolerance (the argument and the bound of data-parallel-offline.test.ts:
 * 1e-5), rank 0's fresh adapters reaching rank 1 (each rank draws A from the same seed, but only
 * the broadcast guarantees it). Metrics (losses of order 1–10) are held to 1e-4 absolute.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { main } from '../../src/cli/main.ts';
import {
  generateLabDataset,
  LAB_FILES,
  writeLabTokenizerFiles,
  writeSftFiles,
} from '../../src/lab/task/index.ts';
import { compareMetrics, compareTensorFiles, metricLines } from '../reliability/fixtures/compare.ts';
import { NO_GLOO } from './fixtures/gloo.ts';
import { freePort, runNode, startCommand } from './fixtures/ranks.ts';

const root = mkdtempSync(join(tmpdir(), 'dp-lora-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const TOLERANCE = 1e-5;

const config = (out: string) => {
  const data = join(root, 'data');
  const path = join(root, `${out.replaceAll('/', '_')}.yaml`);
  writeFileSync(
    path,
    stringify({
      model: join(root, 'init'),
      out,
      data: { train: join(data, LAB_FILES.sftTrain), eval: join(data, LAB_FILES.sftEval) },
      maxPromptTokens: 48,
      maxTotalTokens: 80,
      batchSize: 3,
      gradAccum: 2,
      steps: 4,
      evalEvery: 2,
      optim: { lr: 1e-2, schedule: 'constant' },
      lora: { r: 4, alpha: 8, targetModules: ['query_key_value', 'dense_h_to_4h'] },
    }),
  );
  return path;
};

beforeAll(async () => {
  const data = join(root, 'data');
  await writeLabTokenizerFiles(data);
  await writeSftFiles(data, generateLabDataset({ seed: 1, nTrain: 24, nEval: 6 }));
  const log = console.log;
  console.log = () => {};
  try {
    expect(
      await main(['init-model', '--config', 'pythia-tiny', '--out', join(root, 'init'), '--tokenizer', data]),
    ).toBe(0);
  } finally {
    console.log = log;
  }
});

describe.skipIf(NO_GLOO)('LoRA, data parallel', () => {
  it('2 ranks train the adapters as 1 process does', async () => {
    const one = join(root, 'one');
    const single = await runNode(['bin/run-ts.mjs', 'src/bin.ts', 'sft', '--config', config(one)]);
    expect(single.code, single.stderr).toBe(0);
    const two = join(root, 'two');
    const ranks = startCommand(2, ['src/bin.ts', 'sft', '--config', config(two)], await freePort());
    for (const r of await ranks.done) expect(r.code, `rank ${r.rank}: ${r.stderr}`).toBe(0);
    for (const [key, d] of compareMetrics(
      metricLines(join(one, 'metrics.jsonl')),
      metricLines(join(two, 'metrics.jsonl')),
    ))
      expect(d, key).toBeLessThanOrEqual(TOLERANCE * 10);
    const tensors = compareTensorFiles(
      join(one, 'model', 'adapter_model.safetensors'),
      join(two, 'model', 'adapter_model.safetensors'),
    );
    expect(tensors.length).toBe(4 * 2); // 2 layers × 2 modules × (A, B)
    for (const t of tensors) expect(t.maxAbsDiff, t.name).toBeLessThanOrEqual(TOLERANCE);
    expect(JSON.parse(readFileSync(join(two, 'run.json'), 'utf8')).status).toBe('done');
    expect(existsSync(join(two, 'model', 'adapter_config.json'))).toBe(true);
  });
});
