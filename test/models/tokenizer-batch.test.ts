/**
 * Batches: padding layout and masks, truncation from either side, over-long errors.
 * Tokenizer: hand merges he, ll, hell (ids 257..259), [PAD] = 260 as pad token, <|endoftext|> = 0.
 * Hand-worked encodings (printable ASCII id = code − 32):
 *   "hello" → hell o        = [259, 79]
 *   "o"     → o             = [79]
 *   "hi!"   → h i !         = [72, 73, 1]
 */
import { describe, expect, it } from 'vitest';
import { buildByteLevelBpeTokenizerJson, Tokenizer } from '../../src/models/tokenizer/index.ts';

const PAD = 260;
const json = buildByteLevelBpeTokenizerJson({
  merges: [
    ['h', 'e'],
    ['l', 'l'],
    ['he', 'll'],
  ],
  extraSpecialTokens: ['[PAD]'],
});
const tokenizer = Tokenizer.fromJSON(json, { padToken: '[PAD]' });
const texts = ['hello', 'o', 'hi!'];

describe('padding', () => {
  it('checks the hand-worked encodings', () => {
    expect(texts.map((t) => tokenizer.encode(t))).toEqual([[259, 79], [79], [72, 73, 1]]);
    expect(tokenizer.padId).toBe(PAD);
  });

  it('right padding puts pads after the tokens', () => {
    expect(tokenizer.batchEncode(texts, { padding: 'right' })).toEqual({
      ids: [
        [259, 79, PAD],
        [79, PAD, PAD],
        [72, 73, 1],
      ],
      attentionMask: [
        [1, 1, 0],
        [1, 0, 0],
        [1, 1, 1],
      ],
      lengths: [2, 1, 3],
    });
  });

  it('left padding puts pads before the tokens, so every row ends in its last token', () => {
    expect(tokenizer.batchEncode(texts, { padding: 'left' })).toEqual({
      ids: [
        [PAD, 259, 79],
        [PAD, PAD, 79],
        [72, 73, 1],
      ],
      attentionMask: [
        [0, 1, 1],
        [0, 0, 1],
        [1, 1, 1],
      ],
      lengths: [2, 1, 3],
    });
  });

  it('appends EOS before padding and counts it as a real token', () => {
    const batch = tokenizer.batchEncode(texts, { padding: 'right', addEos: true });
    expect(batch.ids).toEqual([
      [259, 79, 0, PAD],
      [79, 0, PAD, PAD],
      [72, 73, 1, 0],
    ]);
    expect(batch.lengths).toEqual([3, 2, 4]);
  });

  it('pads with EOS when no pad token is configured', () => {
    const eosPadded = Tokenizer.fromJSON(json);
    expect(eosPadded.padId).toBe(0);
    expect(eosPadded.batchEncode(['o', 'hello'], { padding: 'left' }).ids).toEqual([
      [0, 79],
      [259, 79],
    ]);
  });

  it('can pad to maxLength instead of the longest row', () => {
    const batch = tokenizer.batchEncode(['o'], { padding: 'right', maxLength: 4, padToMaxLength: true });
    expect(batch).toEqual({ ids: [[79, PAD, PAD, PAD]], attentionMask: [[1, 0, 0, 0]], lengths: [1] });
  });

  it('handles an empty text and an empty batch', () => {
    expect(tokenizer.batchEncode(['', 'o'], { padding: 'left' })).toEqual({
      ids: [[PAD], [79]],
      attentionMask: [[0], [1]],
      lengths: [0, 1],
    });
    expect(tokenizer.batchEncode([], { padding: 'right' })).toEqual({
      ids: [],
      attentionMask: [],
      lengths: [],
    });
  });
});

describe('truncation', () => {
  it("'left' keeps the end of each over-long row", () => {
    const batch = tokenizer.batchEncode(texts, { padding: 'left', maxLength: 2, truncation: 'left' });
    expect(batch.ids).toEqual([
      [259, 79],
      [PAD, 79],
      [73, 1],
    ]);
    expect(batch.lengths).toEqual([2, 1, 2]);
  });

  it("'right' keeps the start of each over-long row", () => {
    const batch = tokenizer.batchEncode(texts, { padding: 'right', maxLength: 2, truncation: 'right' });
    expect(batch.ids).toEqual([
      [259, 79],
      [79, PAD],
      [72, 73],
    ]);
  });

  it('counts EOS in maxLength: right truncation drops it, left truncation keeps it', () => {
    const opts = { padding: 'right', maxLength: 2, addEos: true } as const;
    expect(tokenizer.batchEncode(['hello'], { ...opts, truncation: 'right' }).ids).toEqual([[259, 79]]);
    expect(tokenizer.batchEncode(['hello'], { ...opts, truncation: 'left' }).ids).toEqual([[79, 0]]);
  });

  it('without truncation an over-long text is an error naming its index and length', () => {
    expect(() => tokenizer.batchEncode(texts, { padding: 'right', maxLength: 2 })).toThrow(
      /batch index 2 has 3 tokens, more than maxLength 2/,
    );
    expect(tokenizer.batchEncode(texts, { padding: 'right', maxLength: 3 }).lengths).toEqual([2, 1, 3]);
  });

  it('rejects inconsistent options', () => {
    expect(() => tokenizer.batchEncode(texts, { padding: 'right', truncation: 'left' })).toThrow(
      /need maxLength/,
    );
    expect(() => tokenizer.batchEncode(texts, { padding: 'right', padToMaxLength: true })).toThrow(
      /need maxLength/,
    );
    expect(() => tokenizer.batchEncode(texts, { padding: 'right', maxLength: 0 })).toThrow(
      /positive integer/,
    );
  });
});
