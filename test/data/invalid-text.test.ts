/**
 * Invalid UTF-8 bytes and lone surrogates are bad data, named by file, row and field — never decoded
 * into U+FFFD or handed to the tokenizer silently.
 */
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPreferenceDataset, loadSftDataset } from '../../src/data/index.ts';
import { tempFolder } from './fixtures.ts';

let folder: Awaited<ReturnType<typeof tempFolder>>;
beforeAll(async () => {
  folder = await tempFolder();
});
afterAll(() => folder.remove());

const good = '{"prompt": "p1", "completion": "c1"}\n';

describe('invalid UTF-8', () => {
  it('a .jsonl line with an invalid byte is a bad row naming the file, row and byte', async () => {
    const file = folder.path('bytes.jsonl');
    // Row 2: "c\xff2" — 0xFF never occurs in UTF-8; the byte sits at offset 35 of the line.
    const bad = Buffer.concat([
      Buffer.from('{"prompt": "p2", "completion": "c'),
      Buffer.from([0xff]),
      Buffer.from('2"}\n'),
    ]);
    await writeFile(file, Buffer.concat([Buffer.from(good), bad, Buffer.from(good)]));
    await expect(loadSftDataset(file)).rejects.toThrow(
      `${file}: row 2: invalid UTF-8 at byte 33 of the line`,
    );
    const skipped = await loadSftDataset(file, { onBadRow: 'skip', log: () => {} });
    expect(skipped.examples.map((e) => e.row)).toEqual([1, 3]);
    expect(skipped.skipped.map((b) => [b.row, b.kind])).toEqual([[2, 'invalid UTF-8']]);
  });

  it('a truncated multi-byte character at the end of a line is caught too', async () => {
    const file = folder.path('truncated.jsonl');
    const euro = Buffer.from('€'); // 3 bytes: keep the first 2
    await writeFile(
      file,
      Buffer.concat([
        Buffer.from('{"prompt": "p", "completion": "'),
        euro.subarray(0, 2),
        Buffer.from('"}\n'),
      ]),
    );
    await expect(loadSftDataset(file)).rejects.toThrow(
      `${file}: row 1: invalid UTF-8 at byte 31 of the line`,
    );
  });

  it('a .json document with an invalid byte names the file and line', async () => {
    const file = folder.path('bytes.json');
    await writeFile(
      file,
      Buffer.concat([
        Buffer.from('[\n{"prompt": "p", "completion": "c"},\n{"prompt": "'),
        Buffer.from([0xc3, 0x28]),
        Buffer.from('", "completion": "c"}]'),
      ]),
    );
    await expect(loadSftDataset(file)).rejects.toThrow(`${file}: invalid UTF-8 at byte 50 (line 3)`);
  });
});

describe('lone surrogates', () => {
  for (const [label, escaped, char, index] of [
    ['a high surrogate', 'ok \\ud800 then', 'd800', 3],
    ['a low surrogate', '\\udc00', 'dc00', 0],
    ['two high surrogates', '\\ud83d\\ud83d', 'd83d', 0],
  ] as const) {
    it(`${label} in a field is a bad row naming the field`, async () => {
      const file = folder.path(`surrogate-${char}.jsonl`);
      await writeFile(
        file,
        `${good}{"prompt": "p", "chosen": "a", "rejected": "${escaped}"}\n`.replace(good, ''),
      );
      await expect(loadPreferenceDataset(file)).rejects.toThrow(
        `${file}: row 1: field "rejected": holds a lone surrogate \\u${char} at character ${index} (not valid Unicode)`,
      );
    });
  }

  it('a proper surrogate pair (an emoji, escaped or not) is accepted', async () => {
    const file = folder.path('emoji.jsonl');
    await writeFile(file, '{"prompt": "p \\ud83d\\ude00", "completion": "😀"}\n');
    expect((await loadSftDataset(file)).examples[0]).toMatchObject({ prompt: 'p 😀', completion: '😀' });
  });
});
