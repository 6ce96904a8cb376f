import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import {
  buildLabTokenizerConfig,
  buildLabTokenizerJson,
  generateLabDataset,
  LAB_TOKEN_IDS,
  LAB_VOCAB,
  splitLabText,
} from '../../src/lab/task/index.ts';

/** The surface of the library's Tokenizer used here (its bundled types resolve to `any` under NodeNext). */
interface LoadedTokenizer {
  encode(text: string): { ids: number[]; tokens: string[] };
  decode(ids: number[], options?: { skip_special_tokens?: boolean }): string;
}

function loadLabTokenizer(): LoadedTokenizer {
  // A JSON round trip proves the object survives being written to tokenizer.json.
  const json = JSON.parse(JSON.stringify(buildLabTokenizerJson()));
  const config = JSON.parse(JSON.stringify(buildLabTokenizerConfig()));
  return new Tokenizer(json, config) as LoadedTokenizer;
}

describe('lab tokenizer.json', () => {
  const tokenizer = loadLabTokenizer();
  const { train, eval: evalRows } = generateLabDataset({ seed: 3, nTrain: 400, nEval: 100 });
  const rows = [...train, ...evalRows];

  it('is a WordLevel + Whitespace tokenizer with <|endoftext|> special at id 0', () => {
    const json = buildLabTokenizerJson() as {
      model: { type: string; vocab: Record<string, number>; unk_token: string };
      pre_tokenizer: { type: string };
      added_tokens: { id: number; content: string; special: boolean }[];
    };
    expect(json.model.type).toBe('WordLevel');
    expect(json.pre_tokenizer.type).toBe('Whitespace');
    expect(json.model.unk_token).toBe('<unk>');
    expect(json.added_tokens).toEqual([
      expect.objectContaining({ id: 0, content: '<|endoftext|>', special: true }),
    ]);
    expect(Object.keys(json.model.vocab)).toHaveLength(LAB_VOCAB.length);
  });

  it('encodes a hand-checked summary to the vocabulary ids', () => {
    const { ids, tokens } = tokenizer.encode(' roommate eats my food , should i move out ?<|endoftext|>');
    expect(tokens).toEqual([
      'roommate',
      'eats',
      'my',
      'food',
      ',',
      'should',
      'i',
      'move',
      'out',
      '?',
      '<|endoftext|>',
    ]);
    expect(ids).toEqual(tokens.map((token) => LAB_VOCAB.indexOf(token)));
    expect(ids[ids.length - 1]).toBe(0);
  });

  it('round-trips every reference summary', () => {
    for (const { reference_response: reference } of rows) {
      const { ids } = tokenizer.encode(reference);
      expect(ids).not.toContain(1);
      expect(ids[ids.length - 1]).toBe(0);
      const text = reference.slice(1, -'<|endoftext|>'.length);
      expect(tokenizer.decode(ids, { skip_special_tokens: true })).toBe(text);
      expect(tokenizer.encode(tokenizer.decode(ids)).ids).toEqual(ids);
    }
  });

  it('splits prompts exactly as the generator counts them', () => {
    for (const { query } of rows) {
      const expected = splitLabText(query).map((token) => LAB_TOKEN_IDS.get(token));
      expect(tokenizer.encode(query).ids).toEqual(expected);
    }
  });

  it('maps an unknown word to <unk>', () => {
    expect(tokenizer.encode('zebra roommate').ids).toEqual([1, LAB_TOKEN_IDS.get('roommate')]);
  });
});
