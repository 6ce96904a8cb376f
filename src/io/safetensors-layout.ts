/**
 * Planning a safetensors file before any byte is written: validating the writer's input, placing the
 * tensors contiguously in the order given, and encoding the space-padded, 8-byte aligned header.
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
  METADATA_KEY,
} from './safetensors-fields.ts';
import { LENGTH_PREFIX_BYTES, MAX_HEADER_BYTES } from './safetensors-header.ts';

/** Bytes of a tensor to write, given now or produced on demand when the writer reaches the tensor. */
export type TensorBytes = Uint8Array | (() => Uint8Array | Promise<Uint8Array>);

/** One tensor handed to the writer; `data` holds little-endian, row-major bytes. */
export interface TensorToWrite {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  data: TensorBytes;
}

/** A validated tensor with its place in the data section. */
export interface PlacedTensor {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  begin: number;
  end: number;
  data: TensorBytes;
}

/** What the writer needs: the full header bytes (prefix included) and the tensors in write order. */
export interface FileLayout {
  header: Uint8Array;
  tensors: PlacedTensor[];
}

/** Validates the input and lays the tensors out contiguously in the order given. */
export function planLayout(
  tensors: TensorToWrite[],
  metadata: Record<string, string> | undefined,
  file: string,
): FileLayout {
  if (!Array.isArray(tensors))
    throw new SafetensorsError(file, `tensors must be an array, got ${describeValue(tensors)}`);
  const checkedMetadata = metadata === undefined ? {} : checkMetadata(metadata, file);
  const seen = new Set<string>();
  const placed: PlacedTensor[] = [];
  let offset = 0;
  for (const tensor of tensors) {
    const entry = placeTensor(tensor, offset, seen, file);
    placed.push(entry);
    offset = entry.end;
  }
  return { header: encodeHeader(placed, checkedMetadata, file), tensors: placed };
}

/** Throws unless `data` is a Uint8Array of exactly the tensor's byte size. */
export function checkDataLength(
  data: unknown,
  tensor: PlacedTensor,
  file: string,
): asserts data is Uint8Array {
  const expected = tensor.end - tensor.begin;
  if (!(data instanceof Uint8Array)) {
    throw new SafetensorsError(file, `data must be a Uint8Array, got ${describeValue(data)}`, tensor.name);
  }
  if (data.length !== expected) {
    const problem = `data is ${data.length} bytes but ${describeNeed(tensor.dtype, tensor.shape)}`;
    throw new SafetensorsError(file, problem, tensor.name);
  }
}

function placeTensor(tensor: TensorToWrite, begin: number, seen: Set<string>, file: string): PlacedTensor {
  const name = checkName(tensor?.name, seen, file);
  const dtype = checkDType(tensor.dtype, file, name);
  const shape = checkShape(tensor.shape, file, name);
  const end = begin + byteLengthOf(dtype, shape);
  if (!Number.isSafeInteger(end))
    throw new SafetensorsError(file, `${describeNeed(dtype, shape)}: too large`, name);
  const placed = { name, dtype, shape, begin, end, data: tensor.data };
  if (typeof tensor.data !== 'function') checkDataLength(tensor.data, placed, file);
  return placed;
}

function checkName(name: unknown, seen: Set<string>, file: string): string {
  if (typeof name !== 'string')
    throw new SafetensorsError(file, `tensor name must be a string, got ${describeValue(name)}`);
  if (name === METADATA_KEY)
    throw new SafetensorsError(file, `${METADATA_KEY} is reserved for metadata`, name);
  if (seen.has(name)) throw new SafetensorsError(file, 'duplicate tensor name', name);
  seen.add(name);
  return name;
}

/** The length prefix plus the JSON header, padded with spaces so the data section starts 8-byte aligned. */
function encodeHeader(tensors: PlacedTensor[], metadata: Record<string, string>, file: string): Uint8Array {
  // Built by hand rather than with one JSON.stringify so keys keep the given order even for names like "0".
  const fields = tensors.map(
    (t) =>
      `${JSON.stringify(t.name)}:{"dtype":"${t.dtype}","shape":${JSON.stringify(t.shape)},"data_offsets":[${t.begin},${t.end}]}`,
  );
  if (Object.keys(metadata).length > 0) fields.unshift(`"${METADATA_KEY}":${JSON.stringify(metadata)}`);
  const json = new TextEncoder().encode(`{${fields.join(',')}}`);
  const padded = json.length + ((8 - (json.length % 8)) % 8);
  if (padded > MAX_HEADER_BYTES) {
    throw new SafetensorsError(
      file,
      `header would be ${padded} bytes, over the ${MAX_HEADER_BYTES}-byte limit readers accept`,
    );
  }
  const bytes = new Uint8Array(LENGTH_PREFIX_BYTES + padded).fill(0x20, LENGTH_PREFIX_BYTES + json.length);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(padded), true);
  bytes.set(json, LENGTH_PREFIX_BYTES);
  return bytes;
}
