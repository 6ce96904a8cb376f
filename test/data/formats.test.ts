import { writeFile } from 'node:fs/promises';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetError, loadPreferenceDataset, loadSftDataset } from '../../src/data/index.ts';
import {
  chatSchema,
  tempFolder,
  writeJsonDoc,
  writeLines,
  writeParquet,
  writeRowsJsonl,
} from './fixtures.ts';

let folder: Awaited<ReturnType<typeof tempFolder>>;
beforeAll(async () => {
  folder = await tempFolder();
});
afterAll(() => folder.remove());

const sftRows = [
  { prompt: 'Say hi.', completion: 'hi' },
  { prompt: 'Count to two.', completion: 'one two' },
];

describe('jsonl', () => {
  it('reads one object per line, numbering rows by line and ignoring blank lines', async () => {
    const file = await writeLines(folder.path('blank.jsonl'), [
      '{"prompt": "p1", "completion": "c1"}',
      '',
      '   ',
      '{"prompt": "p2", "completion": "c2"}',
    ]);
    const { examples, skipped } = await loadSftDataset(file);
    expect(examples).toEqual([
      { prompt: 'p1', completion: 'c1', row: 1 },
      { prompt: 'p2', completion: 'c2', row: 4 },
    ]);
    expect(skipped).toEqual([]);
  });

  it('accepts CRLF line endings and a byte-order mark', async () => {
    const file = folder.path('crlf.jsonl');
    await writeFile(
      file,
      '\uFEFF{"prompt": "p1", "completion": "c1"}\r\n{"prompt": "p2", "completion": "c2"}\r\n',
    );
    const { examples } = await loadSftDataset(file);
    expect(examples.map((e) => [e.prompt, e.completion, e.row])).toEqual([
      ['p1', 'c1', 1],
      ['p2', 'c2', 2],
    ]);
  });

  it('picks the format from a case-insensitive extension', async () => {
    const file = await writeRowsJsonl(folder.path('upper.JSONL'), sftRows);
    expect((await loadSftDataset(file)).examples).toHaveLength(2);
  });
});

describe('json', () => {
  const expected = [
    { prompt: 'Say hi.', completion: 'hi', row: 1 },
    { prompt: 'Count to two.', completion: 'one two', row: 2 },
  ];

  it('reads an array of objects', async () => {
    const file = await writeJsonDoc(folder.path('array.json'), sftRows);
    expect((await loadSftDataset(file)).examples).toEqual(expected);
  });

  it('reads the array under "rows" or "data"', async () => {
    const rows = await writeJsonDoc(folder.path('rows.json'), { version: 1, rows: sftRows });
    const data = await writeJsonDoc(folder.path('data.json'), { data: sftRows });
    expect((await loadSftDataset(rows)).examples).toEqual(expected);
    expect((await loadSftDataset(data)).examples).toEqual(expected);
  });

  it('rejects a document that holds no row array, naming the file', async () => {
    const file = await writeJsonDoc(folder.path('norows.json'), { items: sftRows });
    await expect(loadSftDataset(file)).rejects.toThrow(
      `${file}: expected an array of rows or an object with a "rows" or "data" array, got an object with keys items`,
    );
  });

  it('rejects an invalid JSON document with the parse error', async () => {
    const file = folder.path('broken.json');
    await writeFile(file, '[{"prompt": "a"');
    let parseError = '';
    try {
      JSON.parse('[{"prompt": "a"');
    } catch (e) {
      parseError = (e as Error).message;
    }
    await expect(loadSftDataset(file)).rejects.toThrow(`${file}: invalid JSON: ${parseError}`);
  });
});

describe('parquet', () => {
  it('reads the TL;DR SFT columns and ignores the others (token ids included)', async () => {
    const file = await writeParquet(folder.path('tldr-sft.parquet'), [
      { name: 'id', data: ['t3_a', 't3_b'] },
      { name: 'query', data: ['SUBREDDIT: r/x\nPOST: one\nTL;DR:', 'SUBREDDIT: r/y\nPOST: two\nTL;DR:'] },
      {
        name: 'query_token',
        data: [
          [1, 2, 3],
          [4, 5],
        ],
        type: 'JSON',
      },
      { name: 'reference_response', data: [' first summary<|endoftext|>', ' second summary<|endoftext|>'] },
    ]);
    const { examples } = await loadSftDataset(file);
    expect(examples).toEqual([
      { prompt: 'SUBREDDIT: r/x\nPOST: one\nTL;DR:', completion: ' first summary<|endoftext|>', row: 1 },
      { prompt: 'SUBREDDIT: r/y\nPOST: two\nTL;DR:', completion: ' second summary<|endoftext|>', row: 2 },
    ]);
  });

  it('reads list<struct<content, role>> message columns', async () => {
    const chosen = [
      [
        { content: 'What is 2+2?', role: 'user' },
        { content: '4', role: 'assistant' },
      ],
    ];
    const rejected = [
      [
        { content: 'What is 2+2?', role: 'user' },
        { content: '5', role: 'assistant' },
      ],
    ];
    const file = await writeParquet(
      folder.path('chat.parquet'),
      [
        { name: 'prompt', data: ['What is 2+2?'] },
        { name: 'chosen', data: chosen },
        { name: 'rejected', data: rejected },
      ],
      { schema: chatSchema(['prompt'], ['chosen', 'rejected']) },
    );
    const { examples } = await loadPreferenceDataset(file);
    expect(examples).toEqual([{ prompt: 'What is 2+2?', chosen: '4', rejected: '5', row: 1 }]);
  });

  it('reads message lists stored as JSON columns, deriving the prompt when absent', async () => {
    const file = await writeParquet(folder.path('chat-json.parquet'), [
      {
        name: 'chosen',
        data: [
          [
            { role: 'user', content: 'Name a colour.' },
            { role: 'assistant', content: 'Blue.' },
          ],
        ],
        type: 'JSON',
      },
      {
        name: 'rejected',
        data: [
          [
            { role: 'user', content: 'Name a colour.' },
            { role: 'assistant', content: 'Seven.' },
          ],
        ],
        type: 'JSON',
      },
    ]);
    const { examples } = await loadPreferenceDataset(file);
    expect(examples).toEqual([{ prompt: 'Name a colour.', chosen: 'Blue.', rejected: 'Seven.', row: 1 }]);
  });

  it('numbers rows across row groups and stops reading at the limit', async () => {
    const n = 7;
    const file = await writeParquet(
      folder.path('groups.parquet'),
      [
        { name: 'prompt', data: Array.from({ length: n }, (_, i) => `p${i + 1}`) },
        { name: 'completion', data: Array.from({ length: n }, (_, i) => `c${i + 1}`) },
      ],
      { rowGroupSize: 3 },
    );
    const all = await loadSftDataset(file);
    expect(all.examples.map((e) => `${e.row}:${e.prompt}:${e.completion}`)).toEqual([
      '1:p1:c1',
      '2:p2:c2',
      '3:p3:c3',
      '4:p4:c4',
      '5:p5:c5',
      '6:p6:c6',
      '7:p7:c7',
    ]);
    const limited = await loadSftDataset(file, { limit: 4 });
    expect(limited.examples.map((e) => e.row)).toEqual([1, 2, 3, 4]);
  });

  it('reports a null cell as a bad row and lists the file columns when a field is absent', async () => {
    const file = await writeParquet(folder.path('nulls.parquet'), [
      { name: 'prompt', data: ['p1', null] },
      { name: 'completion', data: ['c1', 'c2'] },
      { name: 'extra', data: [1, 2] },
    ]);
    await expect(loadSftDataset(file)).rejects.toThrow(`${file}: row 2: field "prompt": is null`);
    await expect(loadSftDataset(file, { fields: { completion: 'answer' } })).rejects.toThrow(
      `${file}: row 1: field "answer": missing; the row has: prompt, completion, extra`,
    );
  });

  it('reads GZIP and BROTLI compressed files', async () => {
    const columns = [
      { name: 'prompt', data: ['compressed prompt'] },
      { name: 'completion', data: ['compressed completion'] },
    ];
    const compressors = {
      GZIP: (input: Uint8Array) => new Uint8Array(gzipSync(input)),
      BROTLI: (input: Uint8Array) => new Uint8Array(brotliCompressSync(input)),
    };
    for (const codec of ['GZIP', 'BROTLI'] as const) {
      const file = await writeParquet(folder.path(`${codec}.parquet`), columns, { codec, compressors });
      expect((await loadSftDataset(file)).examples).toEqual([
        { prompt: 'compressed prompt', completion: 'compressed completion', row: 1 },
      ]);
    }
  });

  it('rejects a file that is not parquet, naming it', async () => {
    const file = folder.path('fake.parquet');
    await writeFile(file, 'not parquet at all');
    await expect(loadSftDataset(file)).rejects.toThrow(`${file}: cannot read parquet: `);
  });
});

describe('file-level errors', () => {
  it('rejects an unknown extension, naming the file', async () => {
    const file = folder.path('rows.csv');
    await writeFile(file, 'prompt,completion\na,b\n');
    const error = await loadSftDataset(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as Error).message).toBe(
      `${file}: unknown data format (extension ".csv"); expected .jsonl, .json, .parquet`,
    );
  });

  it('rejects a missing file', async () => {
    const file = folder.path('absent.jsonl');
    await expect(loadSftDataset(file)).rejects.toThrow(`${file}: cannot read: ENOENT`);
  });

  it('rejects empty files in every format', async () => {
    const emptyJsonl = folder.path('empty.jsonl');
    await writeFile(emptyJsonl, '');
    const blankJsonl = await writeLines(folder.path('blank-only.jsonl'), ['', '  ', '']);
    const emptyJson = await writeJsonDoc(folder.path('empty.json'), []);
    const emptyParquet = await writeParquet(folder.path('empty.parquet'), [
      { name: 'prompt', data: [], type: 'STRING' },
      { name: 'completion', data: [], type: 'STRING' },
    ]);
    for (const file of [emptyJsonl, blankJsonl, emptyJson, emptyParquet]) {
      await expect(loadSftDataset(file)).rejects.toThrow(`${file}: no rows (the file is empty)`);
    }
  });
});
