import { readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type SafetensorsDType,
  SafetensorsError,
  SafetensorsReader,
  type TensorToWrite,
  writeSafetensors,
} from '../../src/io/safetensors.ts';
import { fileBytes, makeTempDir, writeRaw } from './hand-built.ts';

const KNOWN_DTYPES = ['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL'];

let dir: string;
let cleanup: () => Promise<void>;
let fileCount = 0;
beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
});
afterAll(async () => {
  await cleanup();
});

/** The error a promise rejects with (failing the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => null,
    (e: unknown) => e as Error,
  );
  if (outcome === null) throw new Error('expected a rejection, but the promise resolved');
  return outcome;
}

/** Writes `bytes` to a fresh file, opens it, and checks the SafetensorsError names the file and matches `problems`. */
async function expectOpenError(bytes: Uint8Array, ...problems: RegExp[]): Promise<SafetensorsError> {
  const path = await writeRaw(dir, `case-${++fileCount}.safetensors`, bytes);
  const error = await rejection(SafetensorsReader.open(path));
  expect(error).toBeInstanceOf(SafetensorsError);
  expect(error.message).toContain(path);
  for (const problem of problems) expect(error.message).toMatch(problem);
  return error as SafetensorsError;
}

/** A one-tensor header whose entry is the given JSON text. */
const oneTensor = (entry: string, name = 'w') => `{"${name}":${entry}}`;

describe('SafetensorsReader.open refuses malformed files', () => {
  it('a file shorter than 8 bytes', async () => {
    await expectOpenError(Uint8Array.from([1, 2, 3, 4, 5]), /5 bytes/, /shorter than the 8-byte/);
    await expectOpenError(new Uint8Array(0), /0 bytes/, /shorter than the 8-byte/);
  });

  it('a header length larger than the file', async () => {
    // 8 + 2 bytes on disk, 1000 declared.
    await expectOpenError(
      fileBytes('{}', [], 1000n),
      /header length 1000 bytes/,
      /larger than the 2 bytes/,
      /10 bytes/,
    );
  });

  it('an absurdly large header length', async () => {
    await expectOpenError(
      fileBytes('{}', [], 200n * 1024n * 1024n),
      /header length 209715200 bytes/,
      /100 MB/,
    );
    await expectOpenError(
      fileBytes('{}', [], 2n ** 64n - 1n),
      /header length 18446744073709551615 bytes/,
      /absurd/,
    );
  });

  it('a header that is not valid UTF-8', async () => {
    await expectOpenError(fileBytes([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d], []), /not valid UTF-8/);
  });

  it('a header that is not valid JSON', async () => {
    const error = await expectOpenError(fileBytes('{"w": {"dtype": ', []), /header is not valid JSON/);
    expect(error.problem.length).toBeGreaterThan('header is not valid JSON: '.length);
  });

  it('a header that is not a JSON object', async () => {
    await expectOpenError(fileBytes('[1,2]', []), /must be a JSON object, got \[1,2\]/);
    await expectOpenError(fileBytes('null', []), /must be a JSON object, got null/);
    await expectOpenError(fileBytes('"text"', []), /must be a JSON object/);
    await expectOpenError(fileBytes('42', []), /must be a JSON object/);
  });

  it('a tensor entry that is not an object', async () => {
    await expectOpenError(
      fileBytes(oneTensor('3'), []),
      /tensor "w"/,
      /must be an object with dtype, shape and data_offsets/,
    );
  });

  it('an unknown dtype, naming it and listing the known ones', async () => {
    const error = await expectOpenError(
      fileBytes(oneTensor('{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}'), [0]),
      /tensor "w"/,
      /unknown dtype "F8_E4M3"/,
    );
    for (const known of KNOWN_DTYPES) expect(error.message).toContain(known);
    await expectOpenError(
      fileBytes(oneTensor('{"shape":[1],"data_offsets":[0,1]}'), [0]),
      /unknown dtype nothing/,
    );
  });

  it('a shape that is not an array of non-negative integers', async () => {
    for (const shape of ['"3"', '[-1]', '[1.5]', '[null]', '[2,"3"]', '{"0":1}']) {
      await expectOpenError(
        fileBytes(oneTensor(`{"dtype":"U8","shape":${shape},"data_offsets":[0,0]}`), []),
        /tensor "w"/,
        /shape must be an array of non-negative integers/,
      );
    }
  });

  it('data_offsets that are not [begin, end] integers with begin <= end', async () => {
    for (const offsets of ['[0]', '[8,0]', '["0",8]', '[0.5,1]', '[0,1,2]', '[-4,0]', 'null']) {
      await expectOpenError(
        fileBytes(
          oneTensor(`{"dtype":"U8","shape":[1],"data_offsets":${offsets}}`),
          [0, 0, 0, 0, 0, 0, 0, 0],
        ),
        /tensor "w"/,
        /data_offsets must be \[begin, end\] with integers 0 <= begin <= end/,
      );
    }
  });

  it('a byte size that does not match shape times dtype size, saying both numbers', async () => {
    await expectOpenError(
      fileBytes(oneTensor('{"dtype":"F32","shape":[3],"data_offsets":[0,8]}'), [0, 0, 0, 0, 0, 0, 0, 0]),
      /tensor "w"/,
      /span 8 bytes/,
      /needs 12 bytes/,
    );
  });

  it('offsets beyond the data section (truncated file), saying how many bytes are missing', async () => {
    await expectOpenError(
      fileBytes(
        oneTensor('{"dtype":"F32","shape":[4],"data_offsets":[0,16]}'),
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      ),
      /tensor "w"/,
      /truncated/,
      /holds only 10 bytes/,
      /6 bytes missing/,
    );
  });

  it('overlapping tensors, naming both', async () => {
    const header =
      '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}';
    await expectOpenError(fileBytes(header, new Array(12).fill(0)), /tensor "b"/, /overlap/, /"a"/);
  });

  it('__metadata__ with non-string values, or not an object', async () => {
    await expectOpenError(
      fileBytes('{"__metadata__":{"ok":"x","n":1}}', []),
      /__metadata__/,
      /"n"/,
      /must be a string, got 1/,
    );
    await expectOpenError(fileBytes('{"__metadata__":{"nested":{"a":"b"}}}', []), /__metadata__/, /"nested"/);
    await expectOpenError(
      fileBytes('{"__metadata__":"format=pt"}', []),
      /__metadata__ must be an object of strings/,
    );
  });

  it('closes the file handle of every refused file', async () => {
    if (process.platform !== 'linux') return;
    const bad = await writeRaw(dir, 'bad.safetensors', fileBytes('[]', []));
    const handlesOn = async (path: string) => {
      const fds = await readdir('/proc/self/fd');
      const targets = await Promise.all(fds.map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
      return targets.filter((t) => t === path).length;
    };
    const reader = await SafetensorsReader.open(await writeRaw(dir, 'good.safetensors', fileBytes('{}', [])));
    expect(await handlesOn(reader.path)).toBe(1); // the measurement sees an open handle
    await reader.close();
    for (let i = 0; i < 5; i++) await rejection(SafetensorsReader.open(bad));
    expect(await handlesOn(bad)).toBe(0);
  });
});

describe('SafetensorsReader.info', () => {
  it('throws naming the file and the absent tensor', async () => {
    const path = await writeRaw(
      dir,
      'info.safetensors',
      fileBytes(oneTensor('{"dtype":"U8","shape":[1],"data_offsets":[0,1]}', 'present'), [5]),
    );
    const reader = await SafetensorsReader.open(path);
    try {
      expect(() => reader.info('absent')).toThrow(SafetensorsError);
      expect(() => reader.info('absent')).toThrow(path);
      expect(() => reader.info('absent')).toThrow(/tensor "absent".*no such tensor.*"present"/);
      await expect(reader.read('absent')).rejects.toThrow(/tensor "absent"/);
    } finally {
      await reader.close();
    }
  });
});

describe('writeSafetensors refuses invalid input before creating any file', () => {
  const u8 = (n: number) => new Uint8Array(n);

  /** Runs a failing write into an empty folder; checks the message and that the folder stays empty. */
  async function expectWriteError(
    tensors: TensorToWrite[],
    metadata: Record<string, string> | undefined,
    ...problems: RegExp[]
  ) {
    const { dir: folder, cleanup: remove } = await makeTempDir();
    try {
      const path = join(folder, 'out.safetensors');
      const error = await rejection(writeSafetensors(path, tensors, metadata));
      expect(error).toBeInstanceOf(SafetensorsError);
      expect(error.message).toContain(path);
      for (const problem of problems) expect(error.message).toMatch(problem);
      expect(await readdir(folder)).toEqual([]);
    } finally {
      await remove();
    }
  }

  it('data whose length does not match shape times dtype size', async () => {
    await expectWriteError(
      [{ name: 'w', dtype: 'F32', shape: [2], data: u8(7) }],
      undefined,
      /tensor "w"/,
      /data is 7 bytes/,
      /needs 8 bytes/,
    );
  });

  it('data that is not a Uint8Array (e.g. a Float32Array)', async () => {
    const data = new Float32Array(2) as unknown as Uint8Array;
    await expectWriteError(
      [{ name: 'w', dtype: 'F32', shape: [2], data }],
      undefined,
      /tensor "w"/,
      /must be a Uint8Array/,
    );
  });

  it('duplicate names', async () => {
    const t = { name: 'dup', dtype: 'U8' as const, shape: [1], data: u8(1) };
    await expectWriteError([t, { ...t }], undefined, /tensor "dup"/, /duplicate tensor name/);
  });

  it('an unknown dtype', async () => {
    const dtype = 'F8' as SafetensorsDType;
    await expectWriteError(
      [{ name: 'w', dtype, shape: [1], data: u8(1) }],
      undefined,
      /tensor "w"/,
      /unknown dtype "F8"/,
      /BF16/,
    );
  });

  it('a shape that is not an array of non-negative integers', async () => {
    await expectWriteError(
      [{ name: 'w', dtype: 'U8', shape: [-1], data: u8(0) }],
      undefined,
      /shape must be an array/,
    );
    await expectWriteError(
      [{ name: 'w', dtype: 'U8', shape: [1.5], data: u8(0) }],
      undefined,
      /shape must be an array/,
    );
  });

  it('the reserved name __metadata__', async () => {
    await expectWriteError(
      [{ name: '__metadata__', dtype: 'U8', shape: [1], data: u8(1) }],
      undefined,
      /reserved/,
    );
  });

  it('metadata with non-string values', async () => {
    const metadata = { step: 3 } as unknown as Record<string, string>;
    await expectWriteError([], metadata, /__metadata__ value of key "step" must be a string, got 3/);
  });

  it('invalid input leaves an existing file untouched', async () => {
    const original = fileBytes('{}', []);
    const path = await writeRaw(dir, 'existing.safetensors', original);
    const error = await rejection(
      writeSafetensors(path, [{ name: 'w', dtype: 'I64', shape: [1], data: u8(4) }]),
    );
    expect(error).toBeInstanceOf(SafetensorsError);
    expect(await readFile(path)).toEqual(Buffer.from(original));
  });
});
