/**
 * `rl` with a `reward` folder that is not a one-label reward model: the hint comes from the type of
 * the load error (which tensors are missing or mis-shaped), not from matching its message. An SFT
 * snapshot lacks `score.weight`; a two-label classifier (HF's default num_labels) has one of the wrong
 * shape, and must not be told it is not a reward model at all.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { main } from '../../src/cli/main.ts';
import {
  generateLabDataset,
  LAB_FILES,
  writeLabTokenizerFiles,
  writeSftFiles,
} from '../../src/lab/task/index.ts';
import { loadRewardModel } from '../../src/models/checkpoint/load-model.ts';
import type { GPTNeoXConfig } from '../../src/models/gptneox/config.ts';
import { writeSnapshot } from '../../src/models/gptneox/write-snapshot.ts';
import { cat, type Tensor } from '../../src/tensor/index.ts';

const root = mkdtempSync(join(tmpdir(), 'cli-rl-reward-'));
const data = join(root, 'data');
const sft = join(root, 'sft');
const twoLabels = join(root, 'two-labels');
afterAll(() => rmSync(root, { recursive: true, force: true }));

let stderr: string[] = [];
beforeEach(() => {
  stderr = [];
  vi.spyOn(console, 'log').mockImplementation(() => {});
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void stderr.push(a.join(' ')));
});
afterEach(() => vi.restoreAllMocks());

beforeAll(async () => {
  await writeLabTokenizerFiles(data);
  await writeSftFiles(data, generateLabDataset({ seed: 1, nTrain: 8, nEval: 2 }));
  vi.spyOn(console, 'log').mockImplementation(() => {});
  expect(await main(['init-model', '--config', 'pythia-tiny', '--out', sft, '--tokenizer', data])).toBe(0);
  vi.restoreAllMocks();
  // A sequence classifier with two labels: score.weight [2, hidden] instead of [1, hidden].
  const rm = await loadRewardModel(sft, { initScoreSeed: 1 });
  const tensors = [...rm.parameters()].map(([name, t]): [string, Tensor] => [
    name,
    name === 'score.weight' ? cat([t, t]) : t,
  ]);
  await writeSnapshot(
    twoLabels,
    { config: rm.config as GPTNeoXConfig, architectures: ['GPTNeoXForSequenceClassification'], tensors },
    { tokenizerDir: sft },
  );
  rm.dispose();
});

function rlConfig(name: string, reward: string): string {
  const path = join(root, `${name}.yaml`);
  writeFileSync(
    path,
    stringify({
      model: sft,
      reference: sft,
      reward,
      out: join(root, name),
      data: { prompts: join(data, LAB_FILES.sftTrain) },
      maxPromptTokens: 48,
      steps: 1,
      promptsPerStep: 2,
      maxNewTokens: 4,
      evalEvery: 0,
    }),
  );
  return path;
}

describe('rl: a reward folder that is not a one-label reward model', () => {
  it('an SFT snapshot (no score head) is told to use a reward-model snapshot', async () => {
    expect(await main(['rl', '--config', rlConfig('lm-reward', sft)])).toBe(1);
    const message = stderr.join('\n');
    expect(message).toMatch(/missing: +score\.weight/);
    expect(message).toMatch(/it must be a reward-model snapshot/);
  });

  it('a two-label classifier is told about the score head shape, not that it is no reward model', async () => {
    expect(await main(['rl', '--config', rlConfig('two-label-reward', twoLabels)])).toBe(1);
    const message = stderr.join('\n');
    expect(message).toMatch(/score\.weight is \[2, ?\d+\] in the file, the model needs \[1, ?\d+\]/);
    expect(message).not.toMatch(/it must be a reward-model snapshot/);
    expect(message).toMatch(/a reward model has one label/);
  });
});
