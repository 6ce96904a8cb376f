import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildPreferenceDataset,
  generateLabDataset,
  LAB_FILES,
  toJsonl,
  writeLabTokenizerFiles,
  writePreferenceFile,
  writeSftFiles,
} from '../../src/lab/task/index.ts';

const dirs: string[] = [];

/** Writes every lab file for `seed` into a fresh temporary folder and returns name → contents. */
async function writeAll(seed: number): Promise<Map<string, string>> {
  const dir = await mkdtemp(join(tmpdir(), 'lab-task-'));
  dirs.push(dir);
  await writeSftFiles(dir, generateLabDataset({ seed, nTrain: 50, nEval: 10 }));
  await writePreferenceFile(dir, 'train', buildPreferenceDataset({ seed, nPairs: 40 }));
  await writePreferenceFile(dir, 'eval', buildPreferenceDataset({ seed, nPairs: 10, split: 'eval' }));
  await writeLabTokenizerFiles(dir);
  const names = (await readdir(dir)).sort();
  return new Map(
    await Promise.all(names.map(async (name) => [name, await readFile(join(dir, name), 'utf8')] as const)),
  );
}

afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('lab task files', () => {
  it('writes the TL;DR file layout with the public field names', async () => {
    const files = await writeAll(1);
    expect([...files.keys()]).toEqual(Object.values(LAB_FILES).sort());
    const firstRow = (name: string) =>
      JSON.parse(files.get(name)!.split('\n')[0]!) as Record<string, unknown>;
    expect(Object.keys(firstRow(LAB_FILES.sftTrain))).toEqual(['query', 'reference_response', 'facts']);
    expect(Object.keys(firstRow(LAB_FILES.preferenceTrain)).slice(0, 3)).toEqual([
      'prompt',
      'chosen',
      'rejected',
    ]);
    expect(files.get(LAB_FILES.sftTrain)!.trimEnd().split('\n')).toHaveLength(50);
    expect(files.get(LAB_FILES.sftEval)!.trimEnd().split('\n')).toHaveLength(10);
    expect(JSON.parse(files.get(LAB_FILES.tokenizer)!).model.type).toBe('WordLevel');
    expect(JSON.parse(files.get(LAB_FILES.tokenizerConfig)!).eos_token).toBe('<|endoftext|>');
  });

  it('writes byte-identical files for the same seed and different data for another', async () => {
    const [a, b, c] = await Promise.all([writeAll(7), writeAll(7), writeAll(8)]);
    expect(b).toEqual(a);
    for (const name of [LAB_FILES.sftTrain, LAB_FILES.sftEval, LAB_FILES.preferenceTrain]) {
      expect(c.get(name)).not.toBe(a.get(name));
    }
    expect(c.get(LAB_FILES.tokenizer)).toBe(a.get(LAB_FILES.tokenizer));
  });

  it('formats JSON Lines one object per newline-terminated line', () => {
    expect(toJsonl([{ a: 1 }, { b: 'x\ny' }])).toBe('{"a":1}\n{"b":"x\\ny"}\n');
    expect(toJsonl([])).toBe('');
  });
});
