/**
 * Reading safetensors files lazily: `open` reads and validates only the header; each `read` fetches
 * one tensor's bytes with positional reads, so a checkpoint is never loaded whole.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { SafetensorsError } from './safetensors-error.ts';
import {
  checkFileSize,
  decodeHeaderLength,
  LENGTH_PREFIX_BYTES,
  parseHeader,
  type TensorInfo,
} from './safetensors-header.ts';

/** Largest single read handed to the OS (libuv caps one request below 2 GiB). */
const MAX_READ_CHUNK = 1 << 30;

/** An open safetensors file whose header has been validated. */
export class SafetensorsReader {
  /** The file this reader was opened on. */
  readonly path: string;
  /** The header's `__metadata__` (empty when absent). */
  readonly metadata: Record<string, string>;
  private readonly tensors: Map<string, TensorInfo>;
  private readonly dataStart: number;
  private handle: FileHandle | null;

  private constructor(
    path: string,
    handle: FileHandle,
    tensors: Map<string, TensorInfo>,
    metadata: Record<string, string>,
    dataStart: number,
  ) {
    this.path = path;
    this.handle = handle;
    this.tensors = tensors;
    this.metadata = metadata;
    this.dataStart = dataStart;
  }

  /** Opens `path` and validates its header; throws SafetensorsError for any malformation. */
  static async open(path: string): Promise<SafetensorsReader> {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      checkFileSize(size, path);
      const headerLength = decodeHeaderLength(
        await readExactly(handle, 0, LENGTH_PREFIX_BYTES, path),
        size,
        path,
      );
      const dataStart = LENGTH_PREFIX_BYTES + headerLength;
      const header = parseHeader(
        await readExactly(handle, LENGTH_PREFIX_BYTES, headerLength, path),
        size - dataStart,
        path,
      );
      return new SafetensorsReader(path, handle, header.tensors, header.metadata, dataStart);
    } catch (e) {
      await handle.close();
      throw e;
    }
  }

  /** Tensor names in file order (by position in the data section). */
  names(): string[] {
    return [...this.tensors.keys()];
  }

  /** True when the file holds a tensor of this name. */
  has(name: string): boolean {
    return this.tensors.has(name);
  }

  /** Dtype, shape and data offsets of a tensor; throws naming the file and tensor when absent. */
  info(name: string): TensorInfo {
    const info = this.tensors.get(name);
    if (!info)
      throw new SafetensorsError(this.path, `no such tensor (the file holds ${this.describeNames()})`, name);
    return { dtype: info.dtype, shape: [...info.shape], dataOffsets: [...info.dataOffsets] };
  }

  /** The raw little-endian bytes of one tensor, read from disk at its offset (nothing else is read). */
  async read(name: string): Promise<Uint8Array> {
    const [begin, end] = this.info(name).dataOffsets;
    if (!this.handle) throw new SafetensorsError(this.path, 'cannot read: the reader is closed', name);
    return readExactly(this.handle, this.dataStart + begin, end - begin, this.path, name);
  }

  /** Releases the file handle; further reads fail. Safe to call twice. */
  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    await handle?.close();
  }

  private describeNames(): string {
    const names = this.names();
    if (names.length === 0) return 'no tensors';
    const shown = names.slice(0, 10).map((n) => JSON.stringify(n));
    const more = names.length > 10 ? ` and ${names.length - 10} more` : '';
    return `${names.length} tensors: ${shown.join(', ')}${more}`;
  }
}

async function readExactly(
  handle: FileHandle,
  position: number,
  length: number,
  file: string,
  tensor?: string,
): Promise<Uint8Array> {
  const bytes = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const chunk = Math.min(length - done, MAX_READ_CHUNK);
    const { bytesRead } = await handle.read(bytes, done, chunk, position + done);
    if (bytesRead === 0) {
      const problem = `file ended after ${done} of ${length} bytes at offset ${position} (truncated while open?)`;
      throw new SafetensorsError(file, problem, tensor);
    }
    done += bytesRead;
  }
  return bytes;
}
