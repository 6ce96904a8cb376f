/**
 * A small deterministic byte-level BPE merge learner for tiny test tokenizers: split the corpus
 * exactly as the GPT-2/GPT-NeoX ByteLevel pre-tokenizer does (so merges never cross the pieces that
 * encoding will see), then repeatedly merge the most frequent adjacent symbol pair.
 * Ties are broken by the smaller pair (first symbol, then second, by UTF-16 code units), so the
 * result depends only on the corpus and the number of merges.
 */
import { createByteLevelPreTokenizer } from './hf-library.ts';

/** One BPE merge: the two symbols that become one, in byte-level spelling (e.g. `['Ġ', 't']`). */
export type Merge = [string, string];

interface WordCount {
  symbols: string[];
  count: number;
}

const preTokenizer = createByteLevelPreTokenizer();

/** The corpus as distinct byte-level words (lists of one-byte symbols) with their frequencies. */
function countWords(corpus: readonly string[]): WordCount[] {
  const counts = new Map<string, number>();
  for (const text of corpus) {
    for (const piece of preTokenizer.pre_tokenize_text(text.normalize('NFC'))) {
      counts.set(piece, (counts.get(piece) ?? 0) + 1);
    }
  }
  return [...counts].map(([piece, count]) => ({ symbols: Array.from(piece), count }));
}

function pairKey(a: string, b: string): string {
  return JSON.stringify([a, b]);
}

function isBefore(x: Merge, y: Merge): boolean {
  if (x[0] !== y[0]) return x[0] < y[0];
  return x[1] < y[1];
}

/** The most frequent adjacent pair over all words, or null when every word is a single symbol. */
function mostFrequentPair(words: readonly WordCount[]): Merge | null {
  const pairCounts = new Map<string, { pair: Merge; count: number }>();
  for (const { symbols, count } of words) {
    for (let i = 0; i + 1 < symbols.length; i++) {
      const pair: Merge = [symbols[i]!, symbols[i + 1]!];
      const key = pairKey(...pair);
      const entry = pairCounts.get(key);
      if (entry) entry.count += count;
      else pairCounts.set(key, { pair, count });
    }
  }
  let best: { pair: Merge; count: number } | null = null;
  for (const entry of pairCounts.values()) {
    if (
      !best ||
      entry.count > best.count ||
      (entry.count === best.count && isBefore(entry.pair, best.pair))
    ) {
      best = entry;
    }
  }
  return best ? best.pair : null;
}

/** Replaces every non-overlapping occurrence of `pair` (scanning left to right) by its concatenation. */
export function applyMerge(symbols: readonly string[], pair: Merge): string[] {
  const out: string[] = [];
  for (let i = 0; i < symbols.length; i++) {
    if (symbols[i] === pair[0] && symbols[i + 1] === pair[1] && i + 1 < symbols.length) {
      out.push(pair[0] + pair[1]);
      i++;
    } else {
      out.push(symbols[i]!);
    }
  }
  return out;
}

/**
 * Learns up to `numMerges` merges from `corpus`; stops early when no adjacent pair is left.
 * @returns merges in priority order (first learned = applied first).
 */
export function learnByteLevelMerges(corpus: readonly string[], numMerges: number): Merge[] {
  if (!Number.isInteger(numMerges) || numMerges < 0) {
    throw new Error(`numMerges must be a non-negative integer, got ${numMerges}`);
  }
  const words = countWords(corpus);
  const merges: Merge[] = [];
  while (merges.length < numMerges) {
    const pair = mostFrequentPair(words);
    if (!pair) break;
    merges.push(pair);
    for (const word of words) word.symbols = applyMerge(word.symbols, pair);
  }
  return merges;
}
