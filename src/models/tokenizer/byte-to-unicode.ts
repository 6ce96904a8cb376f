/**
 * GPT-2's reversible byte ↔ unicode mapping, used by every byte-level BPE vocabulary (GPT-2, GPT-NeoX,
 * Pythia): each of the 256 byte values gets one printable unicode character so that BPE symbols are
 * plain strings without whitespace or control characters.
 *
 * The rule (OpenAI's `bytes_to_unicode`): the 188 "printable" bytes `!`..`~`, `¡`..`¬`, `®`..`ÿ`
 * map to the character with the same code point; the remaining 68 bytes, taken in increasing
 * order, map to U+0100, U+0101, ... (so space 0x20 becomes `Ġ` U+0120 and newline 0x0A `Ċ` U+010A).
 */

/** True for the bytes that GPT-2 keeps as their own code point. */
function isPrintableByte(byte: number): boolean {
  return (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || (byte >= 0xae && byte <= 0xff);
}

function buildByteToUnicode(): readonly string[] {
  const table: string[] = [];
  let nextShifted = 0x100;
  for (let byte = 0; byte < 256; byte++) {
    const codePoint = isPrintableByte(byte) ? byte : nextShifted++;
    table.push(String.fromCodePoint(codePoint));
  }
  return table;
}

/** `BYTE_TO_UNICODE[b]` is the one-character symbol for byte `b` (0..255). */
export const BYTE_TO_UNICODE: readonly string[] = buildByteToUnicode();

/** Inverse of {@link BYTE_TO_UNICODE}: symbol character → byte value. */
export const UNICODE_TO_BYTE: ReadonlyMap<string, number> = new Map(
  BYTE_TO_UNICODE.map((symbol, byte) => [symbol, byte]),
);

/** The 256 byte symbols sorted by code point: the order of the base vocabulary in GPT-2 / GPT-NeoX. */
export function byteSymbolsInVocabOrder(): string[] {
  return [...BYTE_TO_UNICODE].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
}

/** UTF-8 encodes `text` and spells each byte with its symbol (e.g. `" hé"` → `"ĠhÃ©"`). */
export function toByteLevel(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let out = '';
  for (const byte of bytes) out += BYTE_TO_UNICODE[byte];
  return out;
}

/** Inverse of {@link toByteLevel}; throws on a character that is not a byte symbol. */
export function fromByteLevel(symbols: string): string {
  const bytes: number[] = [];
  for (const char of symbols) {
    const byte = UNICODE_TO_BYTE.get(char);
    if (byte === undefined) throw new Error(`not a byte-level symbol: ${JSON.stringify(char)}`);
    bytes.push(byte);
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}
