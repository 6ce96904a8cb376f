import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPreferenceDataset, loadSftDataset } from '../../src/data/index.ts';
import { tempFolder, writeRowsJsonl } from './fixtures.ts';

let folder: Awaited<ReturnType<typeof tempFolder>>;
beforeAll(async () => {
  folder = await tempFolder();
});
afterAll(() => folder.remove());

const user = (content: string) => ({ role: 'user', content });
const assistant = (content: string) => ({ role: 'assistant', content });
const system = (content: string) => ({ role: 'system', content });

describe('SFT field conventions', () => {
  it('reads the TL;DR SFT set (query, reference_response), texts kept exactly as stored', async () => {
    const file = await writeRowsJsonl(folder.path('tldr.jsonl'), [
      {
        id: 't3_1',
        subreddit: 'relationships',
        query: 'SUBREDDIT: r/relationships\n\nTITLE: t\n\nPOST: p\n\nTL;DR:',
        reference_response: ' short summary<|endoftext|>',
        reference_response_token_len: 4,
      },
    ]);
    const { examples } = await loadSftDataset(file);
    expect(examples).toEqual([
      {
        prompt: 'SUBREDDIT: r/relationships\n\nTITLE: t\n\nPOST: p\n\nTL;DR:',
        completion: ' short summary<|endoftext|>',
        row: 1,
      },
    ]);
  });

  it('prefers prompt/completion over query/reference_response when a row has both', async () => {
    const file = await writeRowsJsonl(folder.path('both.jsonl'), [
      { query: 'q', prompt: 'p', reference_response: 'r', completion: 'c' },
    ]);
    expect((await loadSftDataset(file)).examples).toEqual([{ prompt: 'p', completion: 'c', row: 1 }]);
  });

  it('takes a chat completion from its last assistant message and the prompt from the messages before', async () => {
    const file = await writeRowsJsonl(folder.path('sft-chat.jsonl'), [
      { completion: [system('Be brief.'), user('Capital of France?'), assistant('Paris.')] },
      { prompt: 'Given prompt', completion: [user('ignored context'), assistant('Reply.')] },
    ]);
    expect((await loadSftDataset(file)).examples).toEqual([
      { prompt: 'Be brief.\n\nCapital of France?', completion: 'Paris.', row: 1 },
      { prompt: 'Given prompt', completion: 'Reply.', row: 2 },
    ]);
  });

  it('flattens a prompt given as a message list', async () => {
    const file = await writeRowsJsonl(folder.path('prompt-list.jsonl'), [
      { prompt: [system('You are terse.'), user('Hello?')], completion: 'Hi.' },
    ]);
    expect((await loadSftDataset(file)).examples).toEqual([
      { prompt: 'You are terse.\n\nHello?', completion: 'Hi.', row: 1 },
    ]);
  });
});

describe('preference field conventions', () => {
  it('reads prompt/chosen/rejected strings', async () => {
    const file = await writeRowsJsonl(folder.path('pref.jsonl'), [
      { prompt: 'P', chosen: 'good', rejected: 'bad', score_chosen: 8 },
    ]);
    expect((await loadPreferenceDataset(file)).examples).toEqual([
      { prompt: 'P', chosen: 'good', rejected: 'bad', row: 1 },
    ]);
  });

  it('reads the vwxyzjn TL;DR preference set (query/chosen/rejected)', async () => {
    const file = await writeRowsJsonl(folder.path('vwxyzjn.jsonl'), [
      {
        info: { id: 't3_9', post: 'p' },
        query: 'SUBREDDIT: r/a\n\nPOST: b\n\nTL;DR:',
        chosen: ' accurate summary<|endoftext|>',
        rejected: ' wrong summary<|endoftext|>',
        policies: 'sup2 vs ppo',
        batch: 'batch3',
      },
    ]);
    expect((await loadPreferenceDataset(file)).examples).toEqual([
      {
        prompt: 'SUBREDDIT: r/a\n\nPOST: b\n\nTL;DR:',
        chosen: ' accurate summary<|endoftext|>',
        rejected: ' wrong summary<|endoftext|>',
        row: 1,
      },
    ]);
  });

  it('reads chat message lists with a prompt field: responses are the last assistant messages', async () => {
    const file = await writeRowsJsonl(folder.path('chat-prompt.jsonl'), [
      {
        prompt: 'Tell a joke.',
        chosen: [user('Tell a joke.'), assistant('Draft?'), user('Go on.'), assistant('A pun.')],
        rejected: [user('Tell a joke.'), assistant('No.')],
      },
    ]);
    expect((await loadPreferenceDataset(file)).examples).toEqual([
      { prompt: 'Tell a joke.', chosen: 'A pun.', rejected: 'No.', row: 1 },
    ]);
  });

  it('derives a missing prompt from the messages before the reply, joined by blank lines', async () => {
    const file = await writeRowsJsonl(folder.path('chat-noprompt.jsonl'), [
      {
        chosen: [system('Answer in one word.'), user('Sky colour?'), assistant('Blue.')],
        rejected: [system('Answer in one word.'), user('Sky colour?'), assistant('Green.')],
      },
    ]);
    expect((await loadPreferenceDataset(file)).examples).toEqual([
      { prompt: 'Answer in one word.\n\nSky colour?', chosen: 'Blue.', rejected: 'Green.', row: 1 },
    ]);
  });

  it('ignores messages after the last assistant reply and extra message keys', async () => {
    const file = await writeRowsJsonl(folder.path('chat-trailing.jsonl'), [
      {
        chosen: [user('Q'), { ...assistant('A1'), name: 'bot' }, user('thanks')],
        rejected: [user('Q'), assistant('A2')],
      },
    ]);
    expect((await loadPreferenceDataset(file)).examples).toEqual([
      { prompt: 'Q', chosen: 'A1', rejected: 'A2', row: 1 },
    ]);
  });
});

describe('field overrides', () => {
  it('reads fields under the given names', async () => {
    const file = await writeRowsJsonl(folder.path('override.jsonl'), [
      { question: 'Q1', good: 'yes', bad: 'no', prompt: 'not this one' },
    ]);
    const { examples } = await loadPreferenceDataset(file, {
      fields: { prompt: 'question', chosen: 'good', rejected: 'bad' },
    });
    expect(examples).toEqual([{ prompt: 'Q1', chosen: 'yes', rejected: 'no', row: 1 }]);
  });

  it('an override replaces the default names instead of adding to them', async () => {
    const file = await writeRowsJsonl(folder.path('override-sft.jsonl'), [{ prompt: 'p', completion: 'c' }]);
    await expect(loadSftDataset(file, { fields: { completion: 'answer' } })).rejects.toThrow(
      `${file}: row 1: field "answer": missing; the row has: prompt, completion`,
    );
    const ok = await writeRowsJsonl(folder.path('override-ok.jsonl'), [{ prompt: 'p', answer: 'a' }]);
    expect((await loadSftDataset(ok, { fields: { completion: 'answer' } })).examples).toEqual([
      { prompt: 'p', completion: 'a', row: 1 },
    ]);
  });
});

describe('limit', () => {
  it('returns the first N good examples without validating the rows after them', async () => {
    const file = await writeRowsJsonl(folder.path('limit.jsonl'), [
      { prompt: 'p1', completion: 'c1' },
      { prompt: 'p2', completion: 'c2' },
      { prompt: 'p3' },
    ]);
    const { examples, skipped } = await loadSftDataset(file, { limit: 2 });
    expect(examples.map((e) => e.prompt)).toEqual(['p1', 'p2']);
    expect(skipped).toEqual([]);
  });

  it('counts only good examples toward the limit in skip mode', async () => {
    const file = await writeRowsJsonl(folder.path('limit-skip.jsonl'), [
      { prompt: 'p1' },
      { prompt: 'p2', completion: 'c2' },
      { prompt: 'p3', completion: 'c3' },
      { prompt: 'p4', completion: 'c4' },
    ]);
    const { examples, skipped } = await loadSftDataset(file, { limit: 2, onBadRow: 'skip', log: () => {} });
    expect(examples.map((e) => e.row)).toEqual([2, 3]);
    expect(skipped.map((b) => b.row)).toEqual([1]);
  });
});
