import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type BadRow,
  DataError,
  DatasetError,
  loadPreferenceDataset,
  loadSftDataset,
} from '../../src/data/index.ts';
import { countWords, tempFolder, writeLines, writeRowsJsonl } from './fixtures.ts';

let folder: Awaited<ReturnType<typeof tempFolder>>;
beforeAll(async () => {
  folder = await tempFolder();
});
afterAll(() => folder.remove());

const user = (content: string) => ({ role: 'user', content });
const assistant = (content: string) => ({ role: 'assistant', content });

/** Loads `rows` (preceded by one good row) and returns the DataError the load throws. */
async function preferenceError(name: string, bad: unknown): Promise<{ file: string; error: DataError }> {
  const file = await writeRowsJsonl(folder.path(name), [{ prompt: 'ok', chosen: 'a', rejected: 'b' }, bad]);
  const error = await loadPreferenceDataset(file).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(DataError);
  expect(error).toBeInstanceOf(DatasetError);
  return { file, error: error as DataError };
}

function expectBad(error: DataError, bad: BadRow): void {
  expect(error.bad).toEqual(bad);
  const field = bad.field ? `field "${bad.field}": ` : '';
  expect(error.message).toBe(`${bad.file}: row ${bad.row}: ${field}${bad.reason}`);
}

describe('each kind of bad row names the file, row and field', () => {
  it('invalid JSON: the line number and the parse error', async () => {
    const broken = '{"prompt": "a", "chosen": "x",}';
    const file = await writeLines(folder.path('invalid.jsonl'), [
      '{"prompt": "ok", "chosen": "a", "rejected": "b"}',
      '',
      broken,
    ]);
    let parseError = '';
    try {
      JSON.parse(broken);
    } catch (e) {
      parseError = (e as Error).message;
    }
    const error = (await loadPreferenceDataset(file).catch((e: unknown) => e)) as DataError;
    expectBad(error, {
      file,
      row: 3,
      field: '',
      reason: `invalid JSON: ${parseError}`,
      kind: 'invalid JSON',
    });
  });

  it('a line that is JSON but not an object', async () => {
    const { file, error } = await preferenceError('array-row.jsonl', ['a', 'b']);
    expectBad(error, {
      file,
      row: 2,
      field: '',
      reason: 'expected an object, got array',
      kind: 'not an object',
    });
  });

  it('missing field, listing what the row has', async () => {
    const { file, error } = await preferenceError('missing.jsonl', { prompt: 'p', rejected: 'r', extra: 1 });
    expectBad(error, {
      file,
      row: 2,
      field: 'chosen',
      reason: 'missing; the row has: prompt, rejected, extra',
      kind: 'missing field',
    });
  });

  it('missing prompt names both accepted spellings', async () => {
    const file = await writeRowsJsonl(folder.path('missing-prompt.jsonl'), [{ completion: 'c' }]);
    const error = (await loadSftDataset(file).catch((e: unknown) => e)) as DataError;
    expectBad(error, {
      file,
      row: 1,
      field: 'prompt',
      reason: 'missing (also looked for "query"); the row has: completion',
      kind: 'missing field',
    });
  });

  it('null field', async () => {
    const { file, error } = await preferenceError('null.jsonl', { prompt: 'p', chosen: null, rejected: 'r' });
    expectBad(error, { file, row: 2, field: 'chosen', reason: 'is null', kind: 'missing field' });
  });

  it('wrong type: a number where text is expected', async () => {
    const { file, error } = await preferenceError('number.jsonl', { prompt: 'p', chosen: 42, rejected: 'r' });
    expectBad(error, {
      file,
      row: 2,
      field: 'chosen',
      reason: 'expected a string or a message list, got number',
      kind: 'wrong type',
    });
    expect(error.message).toBe(
      `${file}: row 2: field "chosen": expected a string or a message list, got number`,
    );
  });

  it('wrong type: a list that is not a message list', async () => {
    const { file, error } = await preferenceError('badlist.jsonl', {
      prompt: 'p',
      chosen: 'c',
      rejected: [user('q'), { role: 'assistant', text: 'r' }],
    });
    expectBad(error, {
      file,
      row: 2,
      field: 'rejected',
      reason: 'expected a string or a message list, got an array whose item 2 has no string "content"',
      kind: 'wrong type',
    });
  });

  it('empty and whitespace-only text', async () => {
    const empty = await preferenceError('empty.jsonl', { prompt: 'p', chosen: '', rejected: 'r' });
    expectBad(empty.error, {
      file: empty.file,
      row: 2,
      field: 'chosen',
      reason: 'is empty',
      kind: 'empty text',
    });
    const blank = await preferenceError('blank.jsonl', { prompt: ' \n\t', chosen: 'c', rejected: 'r' });
    expectBad(blank.error, {
      file: blank.file,
      row: 2,
      field: 'prompt',
      reason: 'is whitespace-only',
      kind: 'empty text',
    });
  });

  it('chosen identical to rejected, also when they differ only in surrounding whitespace', async () => {
    const same = await preferenceError('same.jsonl', { prompt: 'p', chosen: 'same', rejected: 'same' });
    const reason = 'identical to "chosen", so the pair states no preference';
    expectBad(same.error, { file: same.file, row: 2, field: 'rejected', reason, kind: 'identical pair' });
    const padded = await preferenceError('padded.jsonl', {
      prompt: 'p',
      chosen: ' same',
      rejected: 'same\n',
    });
    expectBad(padded.error, { file: padded.file, row: 2, field: 'rejected', reason, kind: 'identical pair' });
  });

  it('a chat list without an assistant message', async () => {
    const { file, error } = await preferenceError('noassistant.jsonl', {
      prompt: 'p',
      chosen: [user('p'), user('still me')],
      rejected: [user('p'), assistant('r')],
    });
    expectBad(error, {
      file,
      row: 2,
      field: 'chosen',
      reason: 'message list has no assistant message',
      kind: 'no assistant message',
    });
  });

  it('chat lists whose prompts differ when the prompt is derived from them', async () => {
    const { file, error } = await preferenceError('mismatch.jsonl', {
      chosen: [user('first question'), assistant('a')],
      rejected: [user('another question'), assistant('b')],
    });
    expectBad(error, {
      file,
      row: 2,
      field: 'rejected',
      reason: 'its messages before the reply differ from those in "chosen"',
      kind: 'prompt mismatch',
    });
  });

  it('no prompt field and nothing before the reply to derive one from', async () => {
    const { file, error } = await preferenceError('noprompt.jsonl', {
      chosen: [assistant('a')],
      rejected: [assistant('b')],
    });
    expectBad(error, {
      file,
      row: 2,
      field: 'prompt',
      reason: 'missing, and "chosen" has no messages before its reply',
      kind: 'missing field',
    });
  });

  it('over-long after tokenisation: the token count and the limit', async () => {
    const file = await writeRowsJsonl(folder.path('long.jsonl'), [
      { prompt: 'p', chosen: 'a', rejected: 'b' },
      { prompt: 'one two three four', chosen: 'a', rejected: 'b' },
    ]);
    const error = (await loadPreferenceDataset(file, { countTokens: countWords, maxPromptTokens: 3 }).catch(
      (e: unknown) => e,
    )) as DataError;
    expectBad(error, {
      file,
      row: 2,
      field: 'prompt',
      reason: 'prompt is 4 tokens, over the maxPromptTokens limit of 3',
      kind: 'over-long',
    });
  });
});

describe("onBadRow: 'fail' (default)", () => {
  it('throws on the first bad row only', async () => {
    const file = await writeRowsJsonl(folder.path('two-bad.jsonl'), [
      { prompt: 'p1', completion: 'c1' },
      { prompt: 'p2' },
      { completion: 'c3' },
    ]);
    const error = (await loadSftDataset(file).catch((e: unknown) => e)) as DataError;
    expect(error.bad.row).toBe(2);
    expect(error.bad.field).toBe('completion');
  });
});

describe("onBadRow: 'skip'", () => {
  const lines = [
    '{"prompt": "p1", "completion": "c1"}',
    '{"prompt": "p2"}',
    '{"prompt": "p3", "completion": "c3"',
    '',
    '{"prompt": "one two three", "completion": "four five"}',
    '{"prompt": "p6", "completion": "c6"}',
    '{"completion": "c7"}',
  ];

  it('collects every bad row, keeps every good one and logs one count line', async () => {
    const file = await writeLines(folder.path('mixed.jsonl'), lines);
    const log = vi.fn();
    const { examples, skipped } = await loadSftDataset(file, {
      onBadRow: 'skip',
      countTokens: countWords,
      maxTotalTokens: 4,
      log,
    });
    expect(examples).toEqual([
      { prompt: 'p1', completion: 'c1', row: 1 },
      { prompt: 'p6', completion: 'c6', row: 6 },
    ]);
    expect(skipped.map((b) => [b.row, b.field, b.kind])).toEqual([
      [2, 'completion', 'missing field'],
      [3, '', 'invalid JSON'],
      [5, 'completion', 'over-long'],
      [7, 'prompt', 'missing field'],
    ]);
    expect(skipped.every((b) => b.file === file)).toBe(true);
    expect(log).toHaveBeenCalledTimes(1);
    expect(log).toHaveBeenCalledWith(
      `skipped 4 of 6 rows in ${file}: 2 missing field, 1 invalid JSON, 1 over-long`,
    );
  });

  it('logs to console.error by default, and logs nothing when no row is skipped', async () => {
    const mixed = await writeLines(folder.path('mixed-default.jsonl'), lines.slice(0, 2));
    const clean = await writeLines(folder.path('clean.jsonl'), lines.slice(0, 1));
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      await loadSftDataset(mixed, { onBadRow: 'skip' });
      expect(spy.mock.calls).toEqual([[`skipped 1 of 2 rows in ${mixed}: 1 missing field`]]);
      spy.mockClear();
      await loadSftDataset(clean, { onBadRow: 'skip' });
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });

  it('a file where every row is bad is an error naming the counts and the first problem', async () => {
    const file = await writeRowsJsonl(folder.path('all-bad.jsonl'), [
      { prompt: 'p', chosen: 'x', rejected: 'x' },
      { prompt: 'p', chosen: 'x' },
    ]);
    const error = await loadPreferenceDataset(file, { onBadRow: 'skip', log: () => {} }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DatasetError);
    expect(error).not.toBeInstanceOf(DataError);
    expect((error as Error).message).toBe(
      `${file}: no usable rows: all 2 rows are bad (1 identical pair, 1 missing field); ` +
        'first: row 1: field "rejected": identical to "chosen", so the pair states no preference',
    );
  });
});
