import { readdir, readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPreferenceDataset, writeJsonl } from '../../src/data/index.ts';
import { tempFolder } from './fixtures.ts';

let folder: Awaited<ReturnType<typeof tempFolder>>;
beforeAll(async () => {
  folder = await tempFolder();
});
afterAll(() => folder.remove());

const rows = [
  { prompt: 'line one\nline two', chosen: 'caf\u00e9 \u{1F600}', rejected: 'tab\there' },
  { prompt: 'p2', chosen: 'c2', rejected: 'r2', meta: { n: 1 } },
];

describe('writeJsonl', () => {
  it('writes one JSON object per line, ending with a newline', async () => {
    const file = folder.path('out/nested/rows.jsonl');
    await writeJsonl(file, rows);
    const text = await readFile(file, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.slice(0, -1).split('\n');
    expect(lines.map((line) => JSON.parse(line))).toEqual(rows);
  });

  it('writes a file the loaders read back', async () => {
    const file = folder.path('roundtrip.jsonl');
    await writeJsonl(file, rows);
    const { examples } = await loadPreferenceDataset(file);
    expect(examples).toEqual([
      { prompt: 'line one\nline two', chosen: 'caf\u00e9 \u{1F600}', rejected: 'tab\there', row: 1 },
      { prompt: 'p2', chosen: 'c2', rejected: 'r2', row: 2 },
    ]);
  });

  it('replaces an existing file and leaves no temporary file behind', async () => {
    const dir = 'replace';
    const file = folder.path(`${dir}/rows.jsonl`);
    await writeJsonl(file, [{ a: 1 }, { a: 2 }]);
    await writeJsonl(file, [{ b: 3 }]);
    expect(await readFile(file, 'utf8')).toBe('{"b":3}\n');
    expect(await readdir(folder.path(dir))).toEqual(['rows.jsonl']);
  });

  it('on failure keeps the old file intact and removes the temporary file', async () => {
    const dir = 'failure';
    const file = folder.path(`${dir}/rows.jsonl`);
    await writeJsonl(file, [{ keep: true }]);
    await expect(writeJsonl(file, [{ ok: 1 }, { bad: 10n }])).rejects.toThrow(TypeError);
    expect(await readFile(file, 'utf8')).toBe('{"keep":true}\n');
    expect(await readdir(folder.path(dir))).toEqual(['rows.jsonl']);
  });

  it('writes an empty file for no rows', async () => {
    const file = folder.path('empty.jsonl');
    await writeFile(file, 'old');
    await writeJsonl(file, []);
    expect(await readFile(file, 'utf8')).toBe('');
  });
});
