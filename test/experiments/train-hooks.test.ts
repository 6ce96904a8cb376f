/**
 * The hooks through which the demo's stages (and library callers) run a config with their own
 * evaluation, labels and progress: `evaluateMore` (po), `labels` and `onStep` of runPo/runSft.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPo, runSft } from '../../src/experiments/train.ts';
import {
  buildPreferenceDataset,
  generateLabDataset,
  LAB_FILES,
  writeLabTokenizerFiles,
  writePreferenceFile,
  writeSftFiles,
} from '../../src/lab/task/index.ts';
import { runInitModel } from '../../src/models/index.ts';

const root = mkdtempSync(join(tmpdir(), 'train-hooks-'));
const data = join(root, 'data');
const init = join(root, 'init');
afterAll(() => rmSync(root, { recursive: true, force: true }));

beforeAll(async () => {
  await writeLabTokenizerFiles(data);
  await writeSftFiles(data, generateLabDataset({ seed: 1, nTrain: 24, nEval: 4 }));
  await writePreferenceFile(data, 'train', buildPreferenceDataset({ seed: 1, nPairs: 16 }));
  await writePreferenceFile(data, 'eval', buildPreferenceDataset({ seed: 1, nPairs: 4, split: 'eval' }));
  await runInitModel({ config: 'pythia-tiny', out: init, seed: 1, tokenizer: data }, () => {});
});

const lines = (dir: string) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, number>);
const quiet = { print: () => {}, log: () => {} };

describe('runPo and runSft hooks', () => {
  it('po: evaluateMore is built on the trained policy and logged under eval/ at each evaluation; labels reach run.json', async () => {
    const out = join(root, 'simpo');
    const calls: number[] = [];
    let vocab = 0;
    const steps: number[] = [];
    await runPo(
      {
        model: init,
        out,
        data: { train: join(data, LAB_FILES.preferenceTrain), eval: join(data, LAB_FILES.preferenceEval) },
        loss: 'simpo',
        maxPromptTokens: 48,
        maxTotalTokens: 80,
        steps: 4,
        batchSize: 4,
        evalEvery: 2,
        evalBatches: 1,
        checkpointEvery: 4,
      },
      {
        io: quiet,
        labels: { arm: 'probe-arm', gamma: 0.5 },
        evaluateMore: (policy) => {
          vocab = policy.tokenizer.vocabSize;
          return () => {
            calls.push(calls.length + 1);
            return { hook_calls: calls.length };
          };
        },
        onStep: (step) => steps.push(step),
      },
    );
    expect(vocab).toBeGreaterThan(0);
    // Evaluations at steps 2 and 4 (evalEvery 2, and the last step), each calling the hook once.
    const evaluated = lines(out).filter((l) => 'eval/loss' in l);
    expect(evaluated.map((l) => l.step)).toEqual([2, 4]);
    expect(evaluated.map((l) => l['eval/hook_calls'])).toEqual([1, 2]);
    expect(calls).toEqual([1, 2]);
    expect(steps).toEqual([1, 2, 3, 4]);
    const info = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as {
      labels: Record<string, unknown>;
    };
    expect(info.labels).toMatchObject({ algorithm: 'simpo', arm: 'probe-arm', gamma: 0.5 });
  });

  it('sft: onStep replaces the progress lines (nothing is printed per step)', async () => {
    const printed: string[] = [];
    const steps: number[] = [];
    await runSft(
      {
        model: init,
        out: join(root, 'sft'),
        data: { train: join(data, LAB_FILES.sftTrain), eval: join(data, LAB_FILES.sftEval) },
        maxPromptTokens: 48,
        maxTotalTokens: 80,
        steps: 3,
        batchSize: 4,
        evalEvery: 0,
        checkpointEvery: 3,
      },
      { io: { print: (l) => printed.push(l), log: () => {} }, onStep: (s) => steps.push(s) },
    );
    expect(steps).toEqual([1, 2, 3]);
    expect(printed.filter((l) => l.includes('step '))).toEqual([]);
  });
});
