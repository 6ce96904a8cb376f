/**
 * Writes GPT-NeoX / Pythia-style `tokenizer.json` objects for tiny byte-level BPE test tokenizers,
 * with the same fields, field order and conventions as EleutherAI/pythia's file, so that both
 * `@huggingface/tokenizers` and the Rust `tokenizers` library load them:
 * `<|endoftext|>` is id 0 (in the vocab and as a special added token), the 256 byte symbols follow
 * (ids 1..256, by code point, as in GPT-2's vocab), then one id per merge, then any extra special
 * tokens (added tokens only, like a `[PAD]` added to a trained model).
 */
import { byteSymbolsInVocabOrder } from './byte-to-unicode.ts';
import { learnByteLevelMerges, type Merge } from './merge-learner.ts';

/** GPT-NeoX's end-of-text token, id 0 in Pythia. */
export const ENDOFTEXT = '<|endoftext|>';

/** An entry of `added_tokens` in HF's `tokenizer.json`. */
export interface AddedTokenJson {
  id: number;
  special: boolean;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
}

interface ByteLevelStep {
  type: 'ByteLevel';
  add_prefix_space: false;
  trim_offsets: true;
}

/** The `tokenizer.json` layout of a GPT-NeoX byte-level BPE tokenizer. */
export interface ByteLevelBpeTokenizerJson {
  version: '1.0';
  truncation: null;
  padding: null;
  added_tokens: AddedTokenJson[];
  normalizer: { type: 'NFC' };
  pre_tokenizer: ByteLevelStep;
  post_processor: ByteLevelStep;
  decoder: ByteLevelStep;
  model: {
    type: 'BPE';
    dropout: null;
    unk_token: null;
    continuing_subword_prefix: null;
    end_of_word_suffix: null;
    fuse_unk: false;
    vocab: Record<string, number>;
    /** `"left right"` strings, the format of Pythia's file (readable by every `tokenizers` version). */
    merges: string[];
  };
}

/** Merges either given by hand (byte-level spelling, e.g. `['Ġ', 'w']`) or learned from a corpus. */
export interface ByteLevelBpeOptions {
  merges?: readonly Merge[];
  corpus?: readonly string[];
  numMerges?: number;
  /** Appended after the merges as special added tokens (not in the BPE vocab), e.g. `['[PAD]']`. */
  extraSpecialTokens?: readonly string[];
}

/** A special added token in Pythia's spelling (never normalized, never stripped). */
export function specialAddedToken(id: number, content: string): AddedTokenJson {
  return { id, special: true, content, single_word: false, lstrip: false, rstrip: false, normalized: false };
}

function byteLevelStep(): ByteLevelStep {
  return { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true };
}

function chooseMerges(opts: ByteLevelBpeOptions): readonly Merge[] {
  if (opts.merges && opts.corpus) throw new Error('give either merges or corpus + numMerges, not both');
  if (opts.corpus) {
    if (opts.numMerges === undefined) throw new Error('numMerges is required with corpus');
    return learnByteLevelMerges(opts.corpus, opts.numMerges);
  }
  return opts.merges ?? [];
}

/** The base vocabulary (`<|endoftext|>` then the byte symbols) extended by each merge in order. */
function buildVocab(merges: readonly Merge[]): Record<string, number> {
  const vocab = new Map<string, number>([[ENDOFTEXT, 0]]);
  for (const symbol of byteSymbolsInVocabOrder()) vocab.set(symbol, vocab.size);
  merges.forEach(([left, right], rank) => {
    for (const part of [left, right]) {
      if (!vocab.has(part)) {
        throw new Error(
          `merge ${rank} (${JSON.stringify([left, right])}): ${JSON.stringify(part)} is not in the vocabulary yet`,
        );
      }
    }
    if (!vocab.has(left + right)) vocab.set(left + right, vocab.size);
  });
  return Object.fromEntries(vocab);
}

function extraAddedTokens(vocab: Record<string, number>, tokens: readonly string[]): AddedTokenJson[] {
  let nextId = Object.keys(vocab).length;
  const seen = new Set<string>();
  return tokens.map((content) => {
    if (content in vocab || seen.has(content))
      throw new Error(`extra special token ${JSON.stringify(content)} is already in the vocabulary`);
    seen.add(content);
    return specialAddedToken(nextId++, content);
  });
}

/** Builds a Pythia-layout byte-level BPE `tokenizer.json` object (see the module comment for the ids). */
export function buildByteLevelBpeTokenizerJson(opts: ByteLevelBpeOptions = {}): ByteLevelBpeTokenizerJson {
  const merges = chooseMerges(opts);
  const vocab = buildVocab(merges);
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      specialAddedToken(0, ENDOFTEXT),
      ...extraAddedTokens(vocab, opts.extraSpecialTokens ?? []),
    ],
    normalizer: { type: 'NFC' },
    pre_tokenizer: byteLevelStep(),
    post_processor: byteLevelStep(),
    decoder: byteLevelStep(),
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      vocab,
      merges: merges.map(([left, right]) => `${left} ${right}`),
    },
  };
}
