/**
 * `maxent-rlhf launch --nproc 2 -- maxent-rlhf sft --config …` on a tiny GPT-NeoX: the CLI trainer
 * joins the process group from the environment with no flag, rank 0 alone prints progress and the
 * run folder, and the run equals `maxent-rlhf sft --config …` in one process within float32
 * reduction-order tolerance (see test/distributed/data-parallel-offline.test.ts).
 *
 * Weights get a bound tied to the learning rate, 1 % of lr over the run: GPT-NeoX has coordinates
 * whose gradient is mathematically zero (the unrotated key part of query_key_value.bias: shifting
 * every key alike leaves the attention softmax unchanged) or nearly so, where both runs see only
 * rounding noise δ, and AdamW moves each coordinate by ≈ lr·δ/(|δ| + ε) whatever its scale.
 * Measured: 6.5e-6 (0.2 % of lr 3e-3) between 1 and 2 ranks, and 5.2e-6 between two single-process
 * runs that split the same batch of 10 as 5 × 2 and 10 × 1. Metrics: 1e-5 relative, as in the
 * TinyLM tests; weighting the ranks' shares equally instead of by their tokens moves the logged
 * loss by 1.9e-2 and fails here.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import {
  generateLabDataset,
  LAB_FILES,
  writeLabTokenizerFiles,
  writeSftFiles,
} from '../../src/lab/task/index.ts';
import { NO_GLOO } from '../distributed/fixtures/gloo.ts';
import { runNode } from '../distributed/fixtures/ranks.ts';
import { compareMetrics, compareTensorFiles, metricLines } from '../reliability/fixtures/compare.ts';

const root = mkdtempSync(join(tmpdir(), 'cli-launch-'));
const data = join(root, 'data');
const init = join(root, 'init');
afterAll(() => rmSync(root, { recursive: true, force: true }));

beforeAll(async () => {
  await writeLabTokenizerFiles(data);
  await writeSftFiles(data, generateLabDataset({ seed: 3, nTrain: 24, nEval: 6 }));
  vi.spyOn(console, 'log').mockImplementation(() => {});
  expect(
    await main(['init-model', '--config', 'pythia-tiny', '--out', init, '--tokenizer', data, '--seed', '2']),
  ).toBe(0);
  vi.restoreAllMocks();
});

const LR = 3e-3;
const config = (out: string) => {
  const p = join(root, `${out}.yaml`);
  writeFileSync(
    p,
    `model: ${init}
out: ${join(root, out)}
data:
  train: ${join(data, LAB_FILES.sftTrain)}
  eval: ${join(data, LAB_FILES.sftEval)}
maxPromptTokens: 48
maxTotalTokens: 80
steps: 4
batchSize: 5
gradAccum: 2
optim: { lr: ${LR}, schedule: cosine, warmupSteps: 1 }
evalEvery: 2
checkpointEvery: 2
`,
  );
  return p;
};

describe.skipIf(NO_GLOO)('maxent-rlhf launch -- maxent-rlhf sft', () => {
  it('2 ranks from the environment equal one process; only rank 0 prints progress', async () => {
    const one = await runNode(['bin/maxent-rlhf.mjs', 'sft', '--config', config('one')]);
    expect(one.code, one.stderr).toBe(0);
    const two = await runNode([
      'bin/maxent-rlhf.mjs',
      'launch',
      '--nproc',
      '2',
      '--',
      process.execPath,
      'bin/maxent-rlhf.mjs',
      'sft',
      '--config',
      config('two'),
    ]);
    expect(two.code, two.stderr).toBe(0);
    const lines = two.stdout.split('\n');
    for (const s of [1, 2, 3, 4])
      expect(lines.filter((l) => l.startsWith(`[rank 0] sft step ${s}/4`))).toHaveLength(1);
    expect(lines).toContain(`[rank 0] run folder: ${join(root, 'two')}`);
    expect(lines.filter((l) => l.startsWith('[rank 1]'))).toEqual([]);

    // run.json records how many processes trained the run.
    const worldSize = (run: string) =>
      JSON.parse(readFileSync(join(root, run, 'run.json'), 'utf8')).worldSize as number;
    expect([worldSize('one'), worldSize('two')]).toEqual([1, 2]);

    const a = metricLines(join(root, 'one', 'metrics.jsonl'));
    const b = metricLines(join(root, 'two', 'metrics.jsonl'));
    expect(b.map((l) => l.step)).toEqual([1, 2, 3, 4]);
    const rows: string[] = [];
    for (const [key, d] of compareMetrics(a, b)) {
      const scale = Math.max(1, ...a.map((l) => Math.abs(l[key] ?? 0)));
      rows.push(`    ${key}: max |Δ| = ${d.toExponential(2)}`);
      expect(d, key).toBeLessThanOrEqual(1e-5 * scale);
    }
    let worst = 0;
    for (const t of compareTensorFiles(
      join(root, 'one', 'model', 'model.safetensors'),
      join(root, 'two', 'model', 'model.safetensors'),
    )) {
      worst = Math.max(worst, t.maxAbsDiff);
      expect(t.maxAbsDiff, t.name).toBeLessThanOrEqual(0.01 * LR);
    }
    console.log(
      [
        '[dp-cli] sft pythia-tiny, global batch 5 (3 + 2) × gradAccum 2: 1 process vs launch --nproc 2',
        ...rows,
        `    weights: max |Δ| over every tensor = ${worst.toExponential(2)}`,
      ].join('\n'),
    );
  });
});
