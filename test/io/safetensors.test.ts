import { existsSync } from 'node:fs';
import { type FileHandle, open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  DTYPE_BYTES,
  type SafetensorsDType,
  SafetensorsError,
  SafetensorsReader,
  type TensorToWrite,
  writeSafetensors,
} from '../../src/io/safetensors.ts';
import { fileBytes, makeTempDir, u64le, utf8, writeRaw } from './hand-built.ts';

/** Element sizes from the safetensors format description, typed in by hand. */
const HAND_SIZES: Record<SafetensorsDType, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/** float32 little-endian: 1.0, -2.0, 0.5, 3.0 */
const F32_1_M2_HALF_3 = [
  0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x00, 0x00, 0x3f, 0x00, 0x00, 0x40, 0x40,
];
/** int16 little-endian: 1, -1, 256 */
const I16_1_M1_256 = [0x01, 0x00, 0xff, 0xff, 0x00, 0x01];

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir());
});
afterEach(async () => {
  await cleanup();
});

/** Opens, runs `use`, and always closes. */
async function withReader<T>(path: string, use: (r: SafetensorsReader) => Promise<T>): Promise<T> {
  const reader = await SafetensorsReader.open(path);
  try {
    return await use(reader);
  } finally {
    await reader.close();
  }
}

/** The header length prefix and JSON of a file, decoded in the test itself. */
async function rawHeader(
  path: string,
): Promise<{ length: number; text: string; json: Record<string, unknown> }> {
  const bytes = await readFile(path);
  const length = Number(bytes.readBigUInt64LE(0));
  const text = bytes.subarray(8, 8 + length).toString('utf8');
  return { length, text, json: JSON.parse(text) };
}

describe('DTYPE_BYTES', () => {
  it('matches the element sizes of the format', () => {
    expect(DTYPE_BYTES).toEqual(HAND_SIZES);
  });
});

describe('reading a file built byte by byte', () => {
  const header =
    '{"__metadata__":{"format":"pt"},' +
    '"weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},' +
    '"bias":{"dtype":"I16","shape":[3],"data_offsets":[16,22]}}';

  it('gives names, dtypes, shapes, offsets, metadata and exact bytes', async () => {
    const path = await writeRaw(
      dir,
      'hand.safetensors',
      fileBytes(header, [...F32_1_M2_HALF_3, ...I16_1_M1_256]),
    );
    await withReader(path, async (r) => {
      expect(r.path).toBe(path);
      expect(r.names()).toEqual(['weight', 'bias']);
      expect(r.metadata).toEqual({ format: 'pt' });
      expect(r.info('weight')).toEqual({ dtype: 'F32', shape: [2, 2], dataOffsets: [0, 16] });
      expect(r.info('bias')).toEqual({ dtype: 'I16', shape: [3], dataOffsets: [16, 22] });
      expect([...(await r.read('bias'))]).toEqual(I16_1_M1_256);
      const weight = await r.read('weight');
      expect([...weight]).toEqual(F32_1_M2_HALF_3);
      expect([...new Float32Array(weight.buffer, weight.byteOffset, 4)]).toEqual([1, -2, 0.5, 3]);
    });
  });

  it('accepts a header padded with spaces to 8-byte alignment', async () => {
    const json = '{"x":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}'; // 53 bytes, +3 spaces = 56
    expect(json.length).toBe(53);
    const path = await writeRaw(dir, 'padded.safetensors', fileBytes(`${json}   `, [7, 9]));
    await withReader(path, async (r) => {
      expect([...(await r.read('x'))]).toEqual([7, 9]);
      expect(r.metadata).toEqual({});
    });
  });

  it('lists names in data order whatever the header order, and reads an empty header', async () => {
    const json =
      '{"second":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},"first":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}';
    const path = await writeRaw(dir, 'order.safetensors', fileBytes(json, [10, 20]));
    await withReader(path, async (r) => {
      expect(r.names()).toEqual(['first', 'second']);
      expect([...(await r.read('second'))]).toEqual([20]);
    });
    const empty = await writeRaw(dir, 'empty.safetensors', fileBytes('{}', []));
    await withReader(empty, async (r) => expect(r.names()).toEqual([]));
  });

  it('does not count an empty tensor inside another tensor range as an overlap', async () => {
    const json =
      '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"e":{"dtype":"F32","shape":[0,5],"data_offsets":[4,4]}}';
    const path = await writeRaw(
      dir,
      'empty-inside.safetensors',
      fileBytes(json, [...F32_1_M2_HALF_3.slice(0, 8)]),
    );
    await withReader(path, async (r) => {
      expect((await r.read('e')).length).toBe(0);
      expect(r.has('a')).toBe(true);
    });
  });

  it('refuses to read after close', async () => {
    const path = await writeRaw(
      dir,
      'closed.safetensors',
      fileBytes(header, [...F32_1_M2_HALF_3, ...I16_1_M1_256]),
    );
    const reader = await SafetensorsReader.open(path);
    await reader.close();
    await reader.close();
    await expect(reader.read('bias')).rejects.toThrow(SafetensorsError);
    await expect(reader.read('bias')).rejects.toThrow(/closed/);
  });
});

describe('writeSafetensors', () => {
  it('produces exactly the bytes the format prescribes for a small file', async () => {
    const path = join(dir, 'exact.safetensors');
    await writeSafetensors(
      path,
      [{ name: 'w', dtype: 'F32', shape: [2], data: Uint8Array.from(F32_1_M2_HALF_3.slice(0, 8)) }],
      {
        format: 'pt',
      },
    );
    // 85 bytes of JSON, counted by hand, padded with 3 spaces to 88 so the data starts at 8 + 88 = 96.
    const json = '{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    const expected = [...u64le(88n), ...utf8(json), 0x20, 0x20, 0x20, ...F32_1_M2_HALF_3.slice(0, 8)];
    expect([...(await readFile(path))]).toEqual(expected);
  });

  describe('round trip of every dtype, a 0-d scalar and empty tensors', () => {
    const dtypes = Object.keys(HAND_SIZES) as SafetensorsDType[];
    const shapes: number[][] = [[2, 3], [], [0, 3], [0]];
    const pattern = (dtype: SafetensorsDType, n: number, seed: number) =>
      Uint8Array.from({ length: n }, (_, i) =>
        dtype === 'BOOL' ? (i + seed) % 2 : (i * 37 + seed * 11 + 5) & 0xff,
      );
    const tensors: TensorToWrite[] = dtypes.flatMap((dtype, d) =>
      shapes.map((shape, s) => {
        const count = shape.reduce((a, b) => a * b, 1);
        return {
          name: `${dtype}/${s}`,
          dtype,
          shape,
          data: pattern(dtype, count * HAND_SIZES[dtype], d * 7 + s),
        };
      }),
    );
    const metadata = { format: 'pt', note: 'ünïcødé ✓', empty: '' };

    it('reads back the same dtypes, shapes, bytes and metadata in the given order', async () => {
      const path = join(dir, 'all.safetensors');
      await writeSafetensors(path, tensors, metadata);
      await withReader(path, async (r) => {
        expect(r.names()).toEqual(tensors.map((t) => t.name));
        expect(r.metadata).toEqual(metadata);
        for (const t of tensors) {
          expect(r.info(t.name).dtype).toBe(t.dtype);
          expect(r.info(t.name).shape).toEqual(t.shape);
          expect(await r.read(t.name)).toEqual(t.data);
        }
      });
    });

    it('lays tensors out contiguously in the given order behind an 8-byte aligned, space-padded header', async () => {
      const path = join(dir, 'layout.safetensors');
      await writeSafetensors(path, tensors, metadata);
      const { length, text, json } = await rawHeader(path);
      expect((8 + length) % 8).toBe(0);
      expect(text.trimEnd().endsWith('}')).toBe(true);
      expect(text.length - text.trimEnd().length).toBeLessThan(8);
      expect(/^ *$/.test(text.slice(text.trimEnd().length))).toBe(true);
      let offset = 0;
      for (const t of tensors) {
        const size = t.shape.reduce((a, b) => a * b, 1) * HAND_SIZES[t.dtype];
        expect(json[t.name]).toEqual({
          dtype: t.dtype,
          shape: t.shape,
          data_offsets: [offset, offset + size],
        });
        offset += size;
      }
      expect((await stat(path)).size).toBe(8 + length + offset);
      // The 0-d scalar holds one element.
      expect((json['F64/1'] as { data_offsets: number[] }).data_offsets).toEqual([48, 56]);
    });
  });

  it('keeps the given order for integer-like names that JS objects would reorder', async () => {
    const path = join(dir, 'names.safetensors');
    const names = ['z', '10', '0', 'a'];
    await writeSafetensors(
      path,
      names.map((name, i) => ({ name, dtype: 'U8', shape: [1], data: Uint8Array.of(i) })),
    );
    const text = (await rawHeader(path)).text;
    const positions = names.map((n) => text.indexOf(`"${n}":{`));
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    await withReader(path, async (r) => {
      expect(r.names()).toEqual(names);
      expect([...(await r.read('0'))]).toEqual([2]);
    });
  });

  it('writes a Uint8Array view at its own offset, not its whole buffer', async () => {
    const backing = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const path = join(dir, 'view.safetensors');
    await writeSafetensors(path, [{ name: 'v', dtype: 'I16', shape: [2], data: backing.subarray(3, 7) }]);
    await withReader(path, async (r) => expect([...(await r.read('v'))]).toEqual([4, 5, 6, 7]));
  });

  it('replaces an existing file and leaves no temporary file behind', async () => {
    const path = await writeRaw(dir, 'old.safetensors', Uint8Array.from([1, 2, 3]));
    await writeSafetensors(path, [{ name: 'n', dtype: 'I8', shape: [1], data: () => Uint8Array.of(0x80) }]);
    expect(await readdir(dir)).toEqual(['old.safetensors']);
    await withReader(path, async (r) => expect([...(await r.read('n'))]).toEqual([0x80]));
  });
});

describe('atomicity', () => {
  const original = fileBytes('{"keep":{"dtype":"U8","shape":[3],"data_offsets":[0,3]}}', [1, 2, 3]);

  it('leaves an existing file intact when a lazy producer throws part-way', async () => {
    const path = await writeRaw(dir, 'model.safetensors', original);
    let temporarySeen = false;
    const tensors: TensorToWrite[] = [
      { name: 'a', dtype: 'F32', shape: [1024], data: new Uint8Array(4096).fill(1) },
      {
        name: 'b',
        dtype: 'F32',
        shape: [2],
        data: () => {
          temporarySeen = existsSync(`${path}.tmp-${process.pid}`);
          throw new Error('producer failed');
        },
      },
    ];
    await expect(writeSafetensors(path, tensors)).rejects.toThrow('producer failed');
    expect(temporarySeen).toBe(true);
    expect(await readFile(path)).toEqual(Buffer.from(original));
    expect(await readdir(dir)).toEqual(['model.safetensors']);
  });

  it('leaves an existing file intact when a lazy producer returns the wrong number of bytes', async () => {
    const path = await writeRaw(dir, 'model.safetensors', original);
    const tensors: TensorToWrite[] = [
      { name: 'short', dtype: 'F64', shape: [2], data: async () => new Uint8Array(15) },
    ];
    const error = await writeSafetensors(path, tensors).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SafetensorsError);
    expect((error as Error).message).toMatch(/tensor "short".*data is 15 bytes.*needs 16 bytes/);
    expect(await readFile(path)).toEqual(Buffer.from(original));
    expect(await readdir(dir)).toEqual(['model.safetensors']);
  });

  it('creates nothing when the folder does not exist', async () => {
    const path = join(dir, 'missing', 'model.safetensors');
    await expect(writeSafetensors(path, [])).rejects.toThrow(/ENOENT/);
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('a 64 MB file written lazily', () => {
  const BLOCK = 8 * 1024 * 1024;
  const BLOCKS = 8;
  const probe = Uint8Array.from(F32_1_M2_HALF_3);
  let folder: { dir: string; cleanup: () => Promise<void> };
  let path: string;
  const producerCalls: { block: number; temporarySize: number; targetExists: boolean }[] = [];
  let fileHandleProto: FileHandle;

  beforeAll(async () => {
    folder = await makeTempDir();
    path = join(folder.dir, 'big.safetensors');
    const temporary = `${path}.tmp-${process.pid}`;
    const blocks: TensorToWrite[] = Array.from({ length: BLOCKS }, (_, block) => ({
      name: `block.${block}`,
      dtype: 'U8',
      shape: [BLOCK],
      data: async () => {
        producerCalls.push({
          block,
          temporarySize: (await stat(temporary)).size,
          targetExists: existsSync(path),
        });
        return new Uint8Array(BLOCK).fill(block + 1);
      },
    }));
    await writeSafetensors(path, [...blocks, { name: 'probe', dtype: 'F32', shape: [4], data: probe }]);
    const handle = await open(path);
    fileHandleProto = Object.getPrototypeOf(handle);
    await handle.close();
  });
  afterAll(async () => {
    await folder.cleanup();
  });

  /** Runs `action` and returns the bytes FileHandle.read delivered meanwhile. */
  async function bytesReadDuring(action: () => Promise<unknown>): Promise<number> {
    const spy = vi.spyOn(fileHandleProto, 'read');
    try {
      await action();
      const results = await Promise.all(
        spy.mock.results.map((r) => r.value as Promise<{ bytesRead: number }>),
      );
      return results.reduce((sum, r) => sum + r.bytesRead, 0);
    } finally {
      spy.mockRestore();
    }
  }

  /** Bytes this process has read through read syscalls so far (Linux), or null elsewhere. */
  async function processBytesRead(): Promise<number | null> {
    if (!existsSync('/proc/self/io')) return null;
    const match = /rchar:\s*(\d+)/.exec(await readFile('/proc/self/io', 'utf8'));
    return match ? Number(match[1]) : null;
  }

  it('produces each block only after the previous one is on disk, in the temporary file', async () => {
    expect(producerCalls.map((c) => c.block)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const headerEnd = producerCalls[0]!.temporarySize;
    expect(headerEnd % 8).toBe(0);
    expect(headerEnd).toBeGreaterThan(8);
    expect(producerCalls.map((c) => c.temporarySize)).toEqual(
      producerCalls.map((_, k) => headerEnd + k * BLOCK),
    );
    expect(producerCalls.every((c) => !c.targetExists)).toBe(true);
    expect((await stat(path)).size).toBe(headerEnd + BLOCKS * BLOCK + probe.length);
  });

  it('open reads only the length prefix and the header', async () => {
    const { length } = await rawHeader(path);
    let reader: SafetensorsReader | undefined;
    const read = await bytesReadDuring(async () => {
      reader = await SafetensorsReader.open(path);
    });
    await reader!.close();
    expect(read).toBe(8 + length);
  });

  it('read() of one small tensor reads only its bytes', async () => {
    await withReader(path, async (r) => {
      let bytes: Uint8Array | undefined;
      const before = await processBytesRead();
      const read = await bytesReadDuring(async () => {
        bytes = await r.read('probe');
      });
      const after = await processBytesRead();
      expect(bytes).toEqual(probe);
      expect(read).toBe(16);
      if (before !== null && after !== null) expect(after - before).toBeLessThan(1024 * 1024);
    });
  });

  it('read() of one block reads that block only (and the measurement does see reads)', async () => {
    await withReader(path, async (r) => {
      let bytes: Uint8Array | undefined;
      const before = await processBytesRead();
      const read = await bytesReadDuring(async () => {
        bytes = await r.read('block.5');
      });
      const after = await processBytesRead();
      expect(read).toBe(BLOCK);
      expect(bytes!.length).toBe(BLOCK);
      expect(bytes!.every((b) => b === 6)).toBe(true);
      if (before !== null && after !== null) {
        expect(after - before).toBeGreaterThanOrEqual(BLOCK);
        expect(after - before).toBeLessThan(BLOCK + 1024 * 1024);
      }
    });
  });
});
