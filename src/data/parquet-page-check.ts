/**
 * Checks the page headers of parquet column chunks before hyparquet decodes them. hyparquet does not
 * check that the thrift fields parquet.thrift marks `required` are present: a corrupt page header
 * without, e.g., `repetition_levels_byte_length` makes its level decoder read at offset NaN, which
 * never advances, and the process hangs. Here every page header of a chunk is parsed (thrift compact
 * protocol) and checked: required fields present, sizes non-negative and inside the chunk.
 */
import type { AsyncBuffer, ColumnChunk } from 'hyparquet';

/** Thrown for a malformed page header; the message says which field of which page. */
export class ParquetPageError extends Error {}

const MAX_DEPTH = 16;

type ThriftValue = number | bigint | boolean | Uint8Array | ThriftValue[] | ThriftStruct;
interface ThriftStruct {
  [field: number]: ThriftValue;
}

/** Byte range [start, end) of a column chunk's pages. */
export function chunkRange(chunk: ColumnChunk): { start: number; end: number } {
  const meta = chunk.meta_data;
  if (!meta) throw new ParquetPageError('column chunk has no metadata');
  // As hyparquet reads it (a dictionary offset of 0 means none, as some writers store it).
  const start = Number(meta.dictionary_page_offset || meta.data_page_offset);
  return { start, end: start + Number(meta.total_compressed_size) };
}

/** Reads the chunk's bytes and checks every page header in it; throws ParquetPageError naming the problem. */
export async function checkColumnChunk(file: AsyncBuffer, chunk: ColumnChunk, column: string): Promise<void> {
  const { start, end } = chunkRange(chunk);
  if (!(start >= 0 && end >= start && end <= file.byteLength))
    throw new ParquetPageError(
      `column "${column}": chunk bytes ${start}-${end} lie outside the file (${file.byteLength} bytes)`,
    );
  const bytes = new Uint8Array(await file.slice(start, end));
  checkPages(bytes, column);
}

/** Checks the sequence of pages filling `bytes` (one column chunk). */
export function checkPages(bytes: Uint8Array, column: string): void {
  let offset = 0;
  let page = 0;
  while (offset < bytes.length) {
    page += 1;
    const where = `column "${column}", page ${page}`;
    const reader = { bytes, offset, where };
    const header = readStruct(reader, 0);
    const compressed = requireCount(header, 3, 'compressed_page_size', where);
    requireCount(header, 2, 'uncompressed_page_size', where);
    const type = requireCount(header, 1, 'type', where);
    if (type === 0) checkFields(header[5], 'data_page_header', DATA_PAGE_FIELDS, where);
    if (type === 2) checkFields(header[7], 'dictionary_page_header', DICTIONARY_PAGE_FIELDS, where);
    if (type === 3) {
      const v2 = checkFields(header[8], 'data_page_header_v2', DATA_PAGE_V2_FIELDS, where);
      const levels = (v2[5] as number) + (v2[6] as number);
      if (levels > compressed)
        throw new ParquetPageError(`${where}: level bytes (${levels}) exceed the page size (${compressed})`);
    }
    offset = reader.offset + compressed;
    if (offset > bytes.length)
      throw new ParquetPageError(
        `${where}: page of ${compressed} bytes runs past the end of the column chunk`,
      );
  }
}

function requireCount(s: ThriftStruct, field: number, name: string, where: string): number {
  const v = s[field];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
    throw new ParquetPageError(
      `${where}: page header field ${name} is ${v === undefined ? 'missing' : 'invalid'}`,
    );
  return v;
}

/** The required fields of each page header struct, in thrift field id order 1, 2, … (parquet.thrift). */
const DATA_PAGE_FIELDS = ['num_values', 'encoding', 'definition_level_encoding', 'repetition_level_encoding'];
const DICTIONARY_PAGE_FIELDS = ['num_values', 'encoding'];
const DATA_PAGE_V2_FIELDS = [
  'num_values',
  'num_nulls',
  'num_rows',
  'encoding',
  'definition_levels_byte_length',
  'repetition_levels_byte_length',
];

function checkFields(
  value: ThriftValue | undefined,
  name: string,
  required: string[],
  where: string,
): ThriftStruct {
  if (value === undefined || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array)
    throw new ParquetPageError(`${where}: ${name} is missing`);
  const s = value as ThriftStruct;
  for (const [i, field] of required.entries()) requireCount(s, i + 1, `${name}.${field}`, where);
  return s;
}

interface Reader {
  bytes: Uint8Array;
  offset: number;
  where: string;
}

function byte(r: Reader): number {
  if (r.offset >= r.bytes.length)
    throw new ParquetPageError(`${r.where}: page header runs past the end of the column chunk`);
  return r.bytes[r.offset++]!;
}

function varint(r: Reader): bigint {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    const b = byte(r);
    result |= BigInt(b & 0x7f) << shift;
    if (!(b & 0x80)) return result;
    shift += 7n;
    if (shift > 70n) throw new ParquetPageError(`${r.where}: malformed varint in page header`);
  }
}

function zigzag(r: Reader): bigint {
  const v = varint(r);
  return (v >> 1n) ^ -(v & 1n);
}

function readStruct(r: Reader, depth: number): ThriftStruct {
  if (depth > MAX_DEPTH) throw new ParquetPageError(`${r.where}: page header nests too deeply`);
  const out: ThriftStruct = {};
  let field = 0;
  for (;;) {
    const head = byte(r);
    const type = head & 0x0f;
    if (type === 0) return out;
    const delta = head >> 4;
    field = delta ? field + delta : Number(zigzag(r));
    out[field] = readValue(r, type, depth);
  }
}

function readValue(r: Reader, type: number, depth: number, inList = false): ThriftValue {
  switch (type) {
    case 1:
    case 2:
      // A struct field's bool is in its type nibble; a list element's bool is a byte of its own.
      return inList ? byte(r) === 1 : type === 1;
    case 3:
      return byte(r);
    case 4:
    case 5:
    case 6: {
      const v = zigzag(r);
      return type === 6 ? v : Number(BigInt.asIntN(32, v));
    }
    case 7:
      for (let i = 0; i < 8; i++) byte(r);
      return 0;
    case 8: {
      const n = Number(varint(r));
      if (r.offset + n > r.bytes.length)
        throw new ParquetPageError(`${r.where}: page header runs past the end of the column chunk`);
      r.offset += n;
      return r.bytes.subarray(r.offset - n, r.offset);
    }
    case 9:
    case 10: {
      const head = byte(r);
      const n = head >> 4 === 15 ? Number(varint(r)) : head >> 4;
      if (n > r.bytes.length - r.offset)
        throw new ParquetPageError(`${r.where}: list in page header is too long`);
      const items: ThriftValue[] = [];
      for (let i = 0; i < n; i++) items.push(readValue(r, head & 0x0f, depth + 1, true));
      return items;
    }
    case 11: {
      const n = Number(varint(r));
      if (n > r.bytes.length - r.offset)
        throw new ParquetPageError(`${r.where}: map in page header is too long`);
      if (n === 0) return [];
      const kinds = byte(r);
      const items: ThriftValue[] = [];
      for (let i = 0; i < n; i++)
        items.push(readValue(r, kinds >> 4, depth + 1, true), readValue(r, kinds & 0x0f, depth + 1, true));
      return items;
    }
    case 12:
      return readStruct(r, depth + 1);
    default:
      throw new ParquetPageError(`${r.where}: unknown thrift type ${type} in page header`);
  }
}
