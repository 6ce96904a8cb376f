/**
 * Safetensors in pure TypeScript: an 8-byte little-endian header length, a JSON header naming each
 * tensor's dtype, shape and byte range, then the raw little-endian data. Reading is lazy (header on open,
 * one tensor per positional read); writing is streaming and atomic.
 */
export {
  DTYPE_BYTES,
  isSafetensorsDType,
  SAFETENSORS_DTYPES,
  type SafetensorsDType,
} from './safetensors-dtype.ts';
export { SafetensorsError } from './safetensors-error.ts';
export { MAX_HEADER_BYTES, type TensorInfo } from './safetensors-header.ts';
export type { TensorBytes, TensorToWrite } from './safetensors-layout.ts';
export { SafetensorsReader } from './safetensors-reader.ts';
export { writeSafetensors } from './safetensors-writer.ts';
