/**
 * Parquet decompressors beyond hyparquet's built-in SNAPPY: GZIP and BROTLI through node:zlib.
 * (ZSTD and LZ4 are not available in Node 20's zlib; such files fail with hyparquet's codec error.)
 */
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { Compressors } from 'hyparquet';

export const NODE_DECOMPRESSORS: Compressors = {
  GZIP: (input) => new Uint8Array(gunzipSync(input)),
  BROTLI: (input) => new Uint8Array(brotliDecompressSync(input)),
};
