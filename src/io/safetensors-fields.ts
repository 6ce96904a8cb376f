/**
 * Rules for the fields of a safetensors header, shared by the reader (checking a file) and the writer
 * (checking its input), so both reject the same things with the same words.
 */
import {
  DTYPE_BYTES,
  isSafetensorsDType,
  SAFETENSORS_DTYPES,
  type SafetensorsDType,
} from './safetensors-dtype.ts';
import { SafetensorsError } from './safetensors-error.ts';

/** The header key holding string metadata instead of a tensor. */
export const METADATA_KEY = '__metadata__';

/** A short, printable rendering of any JSON-ish value for error messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** True for a non-null, non-array object. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True for an integer >= 0 that a double holds exactly. */
export function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** The dtype, or an error naming the unknown one and listing the known ones. */
export function checkDType(value: unknown, file: string, tensor: string): SafetensorsDType {
  if (isSafetensorsDType(value)) return value;
  const known = SAFETENSORS_DTYPES.join(', ');
  throw new SafetensorsError(file, `unknown dtype ${describeValue(value)} (known dtypes: ${known})`, tensor);
}

/** A copy of the shape, or an error unless it is an array of non-negative integers. */
export function checkShape(value: unknown, file: string, tensor: string): number[] {
  if (Array.isArray(value) && value.every(isCount)) return [...value];
  const got = describeValue(value);
  throw new SafetensorsError(file, `shape must be an array of non-negative integers, got ${got}`, tensor);
}

/** Bytes a tensor of this dtype and shape occupies (a 0-d shape `[]` holds one element). */
export function byteLengthOf(dtype: SafetensorsDType, shape: number[]): number {
  return shape.reduce((bytes, dim) => bytes * dim, DTYPE_BYTES[dtype]);
}

/** Describes the size a shape needs, e.g. `shape [2,3] of F32 (4 bytes each) needs 24 bytes`. */
export function describeNeed(dtype: SafetensorsDType, shape: number[]): string {
  const each = DTYPE_BYTES[dtype];
  return `shape ${JSON.stringify(shape)} of ${dtype} (${each} bytes each) needs ${byteLengthOf(dtype, shape)} bytes`;
}

/** A copy of the metadata, or an error unless it is an object whose values are all strings. */
export function checkMetadata(value: unknown, file: string): Record<string, string> {
  if (!isPlainObject(value)) {
    throw new SafetensorsError(
      file,
      `${METADATA_KEY} must be an object of strings, got ${describeValue(value)}`,
    );
  }
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') {
      const got = describeValue(entry);
      throw new SafetensorsError(
        file,
        `${METADATA_KEY} value of key ${JSON.stringify(key)} must be a string, got ${got}`,
      );
    }
  }
  return Object.fromEntries(Object.entries(value)) as Record<string, string>;
}
