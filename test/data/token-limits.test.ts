import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DataError, DataOptionsError, loadPreferenceDataset, loadSftDataset } from '../../src/data/index.ts';
import { countWords, tempFolder, writeRowsJsonl } from './fixtures.ts';

let folder: Awaited<ReturnType<typeof tempFolder>>;
beforeAll(async () => {
  folder = await tempFolder();
});
afterAll(() => folder.remove());

async function loadError(promise: Promise<unknown>): Promise<DataError> {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(DataError);
  return error as DataError;
}

describe('over-long rows (whitespace token counter)', () => {
  it('checks prompt + each response against maxTotalTokens, naming the response field', async () => {
    // prompt 2 words; chosen 2 (total 4 fits a limit of 4), rejected 3 (total 5 does not).
    const file = await writeRowsJsonl(folder.path('total.jsonl'), [
      { prompt: 'two words', chosen: 'fits exactly', rejected: 'one word more' },
    ]);
    const error = await loadError(
      loadPreferenceDataset(file, { countTokens: countWords, maxTotalTokens: 4 }),
    );
    expect(error.bad).toMatchObject({ row: 1, field: 'rejected', kind: 'over-long' });
    expect(error.message).toBe(
      `${file}: row 1: field "rejected": 5 tokens (prompt 2 + response 3), over the maxTotalTokens limit of 4`,
    );
  });

  it('a count equal to the limit fits', async () => {
    const file = await writeRowsJsonl(folder.path('boundary.jsonl'), [
      { prompt: 'a b c', chosen: 'd', rejected: 'e' },
    ]);
    const { examples } = await loadPreferenceDataset(file, {
      countTokens: countWords,
      maxPromptTokens: 3,
      maxTotalTokens: 4,
    });
    expect(examples).toHaveLength(1);
  });

  it('names the field as spelled in the file (TL;DR query)', async () => {
    const file = await writeRowsJsonl(folder.path('tldr-long.jsonl'), [
      { query: 'POST: a b c d e TL;DR:', reference_response: ' s' },
    ]);
    const error = await loadError(loadSftDataset(file, { countTokens: countWords, maxPromptTokens: 5 }));
    expect(error.message).toBe(
      `${file}: row 1: field "query": prompt is 7 tokens, over the maxPromptTokens limit of 5`,
    );
  });

  it('uses the counter it is given, once per text', async () => {
    const file = await writeRowsJsonl(folder.path('counter.jsonl'), [
      { prompt: 'abcdef', completion: 'ghij' },
    ]);
    const countChars = vi.fn((text: string) => text.length);
    const error = await loadError(loadSftDataset(file, { countTokens: countChars, maxTotalTokens: 9 }));
    expect(error.bad.reason).toBe('10 tokens (prompt 6 + response 4), over the maxTotalTokens limit of 9');
    expect(countChars.mock.calls).toEqual([['abcdef'], ['ghij']]);
  });

  it('skips over-long rows in skip mode and counts them', async () => {
    const file = await writeRowsJsonl(folder.path('skip-long.jsonl'), [
      { prompt: 'short', completion: 'ok' },
      { prompt: 'far too many words here', completion: 'ok' },
    ]);
    const log = vi.fn();
    const { examples, skipped } = await loadSftDataset(file, {
      onBadRow: 'skip',
      countTokens: countWords,
      maxPromptTokens: 3,
      log,
    });
    expect(examples.map((e) => e.row)).toEqual([1]);
    expect(skipped.map((b) => [b.row, b.kind])).toEqual([[2, 'over-long']]);
    expect(log).toHaveBeenCalledWith(`skipped 1 of 2 rows in ${file}: 1 over-long`);
  });

  it('counts nothing without a limit', async () => {
    const file = await writeRowsJsonl(folder.path('nolimit.jsonl'), [{ prompt: 'p', completion: 'c' }]);
    const counter = vi.fn(countWords);
    await loadSftDataset(file, { countTokens: counter });
    expect(counter).not.toHaveBeenCalled();
  });
});

describe('option checks (before the file is read)', () => {
  const absent = '/nonexistent/never-read.jsonl';

  it('refuses maxPromptTokens >= maxTotalTokens, naming both options', async () => {
    for (const [prompt, total] of [
      [512, 512],
      [600, 512],
    ] as const) {
      const error = await loadSftDataset(absent, {
        countTokens: countWords,
        maxPromptTokens: prompt,
        maxTotalTokens: total,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DataOptionsError);
      const message = (error as Error).message;
      expect(message).toContain(`maxPromptTokens (${prompt}) must be less than maxTotalTokens (${total})`);
      expect(message).toContain('no room is left for the response');
    }
  });

  it('refuses a token limit without a counter', async () => {
    await expect(loadPreferenceDataset(absent, { maxTotalTokens: 10 })).rejects.toThrow(
      'maxTotalTokens needs countTokens to count tokens',
    );
    await expect(loadPreferenceDataset(absent, { maxPromptTokens: 5, maxTotalTokens: 10 })).rejects.toThrow(
      'maxPromptTokens and maxTotalTokens need countTokens to count tokens',
    );
  });

  it('refuses non-positive or fractional limits and an unknown bad-row mode', async () => {
    await expect(loadSftDataset(absent, { limit: 0 })).rejects.toThrow(
      'limit must be a positive integer, got 0',
    );
    await expect(loadSftDataset(absent, { countTokens: countWords, maxPromptTokens: 1.5 })).rejects.toThrow(
      'maxPromptTokens must be a positive integer, got 1.5',
    );
    const mode = 'ignore' as unknown as 'skip';
    await expect(loadSftDataset(absent, { onBadRow: mode })).rejects.toThrow(
      `onBadRow must be 'fail' or 'skip', got "ignore"`,
    );
  });
});
