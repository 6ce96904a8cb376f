/**
 * Test helpers that build safetensors bytes by hand, straight from the format description, without
 * touching the module under test: 8-byte little-endian header length, header bytes, data bytes.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** `n` as 8 little-endian bytes, by shifting (independent of DataView). */
export function u64le(n: bigint): number[] {
  return Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
}

/** ASCII/UTF-8 bytes of a string. */
export function utf8(text: string): number[] {
  return [...Buffer.from(text, 'utf8')];
}

/** A whole file: length prefix (the header's true length unless `declaredLength` says otherwise), header, data. */
export function fileBytes(header: string | number[], data: number[], declaredLength?: bigint): Uint8Array {
  const headerBytes = typeof header === 'string' ? utf8(header) : header;
  const length = declaredLength ?? BigInt(headerBytes.length);
  return Uint8Array.from([...u64le(length), ...headerBytes, ...data]);
}

/** A fresh folder under the OS temp dir, and a function removing it. */
export async function makeTempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'safetensors-test-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Writes raw bytes to `dir/name` and returns the path. */
export async function writeRaw(dir: string, name: string, bytes: Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}
