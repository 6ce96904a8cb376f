/**
 * Decoding and validating a safetensors header: the 8-byte little-endian length prefix, then the JSON
 * object mapping tensor names to `{dtype, shape, data_offsets}` plus optional `__metadata__`.
 */
import type { SafetensorsDType } from './safetensors-dtype.ts';
import { SafetensorsError } from './safetensors-error.ts';
import {
  byteLengthOf,
  checkDType,
  checkMetadata,
  checkShape,
  describeNeed,
  describeValue,
  isCount,
  isPlainObject,
  METADATA_KEY,
} from './safetensors-fields.ts';

/** Size of the length prefix that starts every file. */
export const LENGTH_PREFIX_BYTES = 8;
/** Headers longer than this are refused as corrupt (real headers are kilobytes to a few megabytes). */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

/** Where one tensor lives; `dataOffsets` are [begin, end) byte offsets into the data section. */
export interface TensorInfo {
  dtype: SafetensorsDType;
  shape: number[];
  dataOffsets: [number, number];
}

/** A validated header: tensors in file order (by data offset) and the string metadata. */
export interface SafetensorsHeader {
  tensors: Map<string, TensorInfo>;
  metadata: Record<string, string>;
}

/** Refuses files too short to hold even the length prefix. */
export function checkFileSize(fileSize: number, file: string): void {
  if (fileSize < LENGTH_PREFIX_BYTES) {
    const problem = `file is ${fileSize} bytes, shorter than the ${LENGTH_PREFIX_BYTES}-byte header length prefix`;
    throw new SafetensorsError(file, problem);
  }
}

/** The header length from the 8-byte prefix, checked against the limit and the file size. */
export function decodeHeaderLength(prefix: Uint8Array, fileSize: number, file: string): number {
  const length = new DataView(prefix.buffer, prefix.byteOffset, LENGTH_PREFIX_BYTES).getBigUint64(0, true);
  if (length > BigInt(MAX_HEADER_BYTES)) {
    const problem = `header length ${length} bytes is absurdly large (limit ${MAX_HEADER_BYTES} bytes = 100 MB); not a safetensors file?`;
    throw new SafetensorsError(file, problem);
  }
  const available = fileSize - LENGTH_PREFIX_BYTES;
  if (Number(length) > available) {
    const problem = `header length ${length} bytes is larger than the ${available} bytes after the length prefix (file is ${fileSize} bytes)`;
    throw new SafetensorsError(file, problem);
  }
  return Number(length);
}

/** Parses and validates the header bytes; `dataSize` is the number of bytes after the header. */
export function parseHeader(bytes: Uint8Array, dataSize: number, file: string): SafetensorsHeader {
  const json = decodeJson(bytes, file);
  if (!isPlainObject(json)) {
    throw new SafetensorsError(file, `header must be a JSON object, got ${describeValue(json)}`);
  }
  let metadata: Record<string, string> = {};
  const entries: [string, TensorInfo][] = [];
  for (const [name, value] of Object.entries(json)) {
    if (name === METADATA_KEY) metadata = checkMetadata(value, file);
    else entries.push([name, parseTensorInfo(value, file, name)]);
  }
  entries.sort(([, a], [, b]) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  checkWithinData(entries, dataSize, file);
  checkNoOverlap(entries, file);
  return { tensors: new Map(entries), metadata };
}

function decodeJson(bytes: Uint8Array, file: string): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new SafetensorsError(file, `header (${bytes.length} bytes) is not valid UTF-8`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError(file, `header is not valid JSON: ${(e as Error).message}`);
  }
}

function parseTensorInfo(value: unknown, file: string, name: string): TensorInfo {
  if (!isPlainObject(value)) {
    const got = describeValue(value);
    throw new SafetensorsError(
      file,
      `entry must be an object with dtype, shape and data_offsets, got ${got}`,
      name,
    );
  }
  const dtype = checkDType(value.dtype, file, name);
  const shape = checkShape(value.shape, file, name);
  const dataOffsets = checkOffsets(value.data_offsets, file, name);
  const span = dataOffsets[1] - dataOffsets[0];
  if (span !== byteLengthOf(dtype, shape)) {
    const problem = `data_offsets ${JSON.stringify(dataOffsets)} span ${span} bytes but ${describeNeed(dtype, shape)}`;
    throw new SafetensorsError(file, problem, name);
  }
  return { dtype, shape, dataOffsets };
}

function checkOffsets(value: unknown, file: string, name: string): [number, number] {
  if (
    Array.isArray(value) &&
    value.length === 2 &&
    isCount(value[0]) &&
    isCount(value[1]) &&
    value[0] <= value[1]
  ) {
    return [value[0], value[1]];
  }
  const got = describeValue(value);
  throw new SafetensorsError(
    file,
    `data_offsets must be [begin, end] with integers 0 <= begin <= end, got ${got}`,
    name,
  );
}

function checkWithinData(sorted: [string, TensorInfo][], dataSize: number, file: string): void {
  let last: [string, TensorInfo] | undefined;
  for (const entry of sorted) if (!last || entry[1].dataOffsets[1] > last[1].dataOffsets[1]) last = entry;
  if (!last || last[1].dataOffsets[1] <= dataSize) return;
  const end = last[1].dataOffsets[1];
  const problem = `file is truncated: data must extend to byte ${end} of the data section but it holds only ${dataSize} bytes (${end - dataSize} bytes missing)`;
  throw new SafetensorsError(file, problem, last[0]);
}

function checkNoOverlap(sorted: [string, TensorInfo][], file: string): void {
  let previous: [string, TensorInfo] | undefined;
  for (const entry of sorted) {
    const [begin, end] = entry[1].dataOffsets;
    if (begin === end) continue;
    if (previous && begin < previous[1].dataOffsets[1]) {
      const other = `${JSON.stringify(previous[0])} at ${JSON.stringify(previous[1].dataOffsets)}`;
      throw new SafetensorsError(file, `data_offsets [${begin},${end}] overlap tensor ${other}`, entry[0]);
    }
    previous = entry;
  }
}
