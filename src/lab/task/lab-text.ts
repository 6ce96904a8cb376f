/**
 * How lab text becomes tokens, mirroring the lab tokenizer exactly: the special token
 * `<|endoftext|>` is cut out first, then each remaining piece is split like the Hugging Face
 * `Whitespace` pre-tokenizer (runs of word characters, or runs of other non-space characters).
 * The generator writes every punctuation mark as its own space-separated token, so one token is one
 * word or one punctuation mark.
 */

/** End of sequence (and padding): id 0 of the lab tokenizer, as in GPT-NeoX / Pythia. */
export const EOS_TOKEN = '<|endoftext|>';

/** Token for words outside the vocabulary; id 1 of the lab tokenizer. */
export const UNK_TOKEN = '<unk>';

/** The HF `Whitespace` pre-tokenizer's pattern (ASCII text, where JS `\w` equals Oniguruma's). */
const WHITESPACE_PIECES = /\w+|[^\w\s]+/g;

/** The tokens of a text: words, punctuation runs and `<|endoftext|>` markers, in order. */
export function splitLabText(text: string): string[] {
  const tokens: string[] = [];
  text.split(EOS_TOKEN).forEach((piece, index) => {
    if (index > 0) tokens.push(EOS_TOKEN);
    tokens.push(...(piece.match(WHITESPACE_PIECES) ?? []));
  });
  return tokens;
}

/** A summary as the data stores it: a leading space, the tokens joined by spaces, EOS appended. */
export function formatSummary(tokens: readonly string[]): string {
  return ` ${tokens.join(' ')}${EOS_TOKEN}`;
}

/**
 * A summary in the data's canonical spelling: its tokens up to the first `<|endoftext|>`, joined by
 * single spaces after a leading space, with EOS appended when the text had one. Two texts with the
 * same tokens (a decoded sample and a reference, say) become the same string.
 */
export function canonicalSummary(text: string): string {
  const tokens = splitLabText(text);
  const eosAt = tokens.indexOf(EOS_TOKEN);
  return eosAt < 0 ? ` ${tokens.join(' ')}` : formatSummary(tokens.slice(0, eosAt));
}
