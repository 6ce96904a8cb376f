/**
 * Issue 26, item 4: data as the Hub publishes it. The parquet files were written by pyarrow
 * (scripts/reference/make-published-parquet.py, an independent writer): ZSTD and LZ4 codecs, shards
 * in a folder, globs and lists, and OpenAI's summarize_from_feedback comparisons layout; field
 * renaming from a config.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPreferenceDataset, loadSftDataset } from '../../src/data/index.ts';
import { SftConfigSchema } from '../../src/trainers/offline/config.ts';

const published = join(import.meta.dirname, 'published');
const tmp = mkdtempSync(join(tmpdir(), 'published-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SFT_ROWS = [
  {
    prompt: 'SUBREDDIT: r/cats\n\nTITLE: my cat\n\nPOST: it ignores me\n\nTL;DR:',
    completion: ' cat ignores me',
    row: 1,
  },
  { prompt: 'TITLE: b\n\nPOST: c\n\nTL;DR:', completion: ' c', row: 2 },
];

describe('parquet codecs', () => {
  for (const codec of ['zstd', 'lz4', 'snappy'])
    it(`reads ${codec.toUpperCase()} (pyarrow-written)`, async () => {
      expect((await loadSftDataset(join(published, `sft-${codec}.parquet`))).examples).toEqual(SFT_ROWS);
    });
});

describe('shards, globs and lists', () => {
  const shard = (i: number) => join(published, `train-0000${i}-of-00002.parquet`);
  const both = [
    { prompt: 'TITLE: one TL;DR:', completion: ' 1', row: 1 },
    { prompt: 'TITLE: two TL;DR:', completion: ' 2', row: 1 },
  ];
  it('a glob takes the matching files in name order', async () => {
    expect((await loadSftDataset(join(published, 'train-*-of-00002.parquet'))).examples).toEqual(both);
  });
  it('a list takes its files in the order given; limit stops across files', async () => {
    expect((await loadSftDataset([shard(1), shard(0)])).examples).toEqual([both[1], both[0]]);
    expect((await loadSftDataset([shard(0), shard(1)], { limit: 1 })).examples).toEqual([both[0]]);
  });
  it('a folder takes every data file in it', async () => {
    const folder = join(tmp, 'shards');
    const { mkdirSync, copyFileSync } = await import('node:fs');
    mkdirSync(folder);
    for (const i of [1, 0]) copyFileSync(shard(i), join(folder, `train-0000${i}-of-00002.parquet`));
    writeFileSync(join(folder, 'README.md'), 'not data');
    expect((await loadSftDataset(folder)).examples).toEqual(both);
  });
  it('a glob that matches nothing is an error naming it', async () => {
    const pattern = join(published, 'nothing-*.parquet');
    await expect(loadSftDataset(pattern)).rejects.toThrow(
      `${pattern}: no .jsonl/.json/.parquet file matches`,
    );
  });
  it('a bad row in a shard names that shard', async () => {
    const good = join(tmp, 'good.jsonl');
    const bad = join(tmp, 'bad.jsonl');
    writeFileSync(good, `${JSON.stringify({ prompt: 'a', completion: 'b' })}\n`);
    writeFileSync(
      bad,
      `${JSON.stringify({ prompt: 'a', completion: 'b' })}\n${JSON.stringify({ prompt: 'a' })}\n`,
    );
    await expect(loadSftDataset([good, bad])).rejects.toThrow(`${bad}: row 2: field "completion"`);
  });
});

describe("OpenAI's summarize_from_feedback comparisons layout", () => {
  it('info/summaries/choice become prompt, chosen and rejected', async () => {
    const { examples } = await loadPreferenceDataset(join(published, 'comparisons-zstd.parquet'));
    expect(examples).toEqual([
      {
        prompt: 'SUBREDDIT: r/cats\n\nTITLE: Cat trouble\n\nPOST: My cat ignores me.\n\nTL;DR:',
        chosen: ' Cat ignores me.',
        rejected: ' dogs',
        row: 1,
      },
      {
        prompt: 'SUBREDDIT: r/legaladvice\n\nTITLE: Car\n\nPOST: Landlord keeps my car.\n\nTL;DR:',
        chosen: ' Landlord keeps borrowing my car.',
        rejected: ' landlord',
        row: 2,
      },
    ]);
  });
  it('a choice other than 0 or 1 is a bad row naming the field', async () => {
    const file = join(tmp, 'bad-choice.jsonl');
    const row = { info: { title: 't', post: 'p' }, summaries: [{ text: 'a' }, { text: 'b' }], choice: 2 };
    writeFileSync(file, `${JSON.stringify(row)}\n`);
    await expect(loadPreferenceDataset(file)).rejects.toThrow(
      `${file}: row 1: field "choice": expected 0 or 1`,
    );
  });
});

describe('data.fields in configs', () => {
  it('renames the columns the loader reads', async () => {
    const file = join(tmp, 'qa.jsonl');
    writeFileSync(file, `${JSON.stringify({ question: 'q?', answer: ' a' })}\n`);
    const c = SftConfigSchema.parse({
      model: 'm',
      out: 'o',
      data: { train: [file], fields: { prompt: 'question', completion: 'answer' } },
    });
    expect(c.data.fields).toEqual({ prompt: 'question', completion: 'answer' });
    expect((await loadSftDataset(c.data.train, { fields: c.data.fields })).examples).toEqual([
      { prompt: 'q?', completion: ' a', row: 1 },
    ]);
    expect(() =>
      SftConfigSchema.parse({ model: 'm', out: 'o', data: { train: file, fields: { promt: 'x' } } }),
    ).toThrow(/promt/);
  });
});
