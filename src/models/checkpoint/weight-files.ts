/**
 * The safetensors weights of a snapshot folder, single-file or sharded, opened lazily: headers are
 * read up front, each tensor's bytes only when asked for.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SafetensorsReader, type TensorInfo } from '../../io/safetensors.ts';
import { tensorDType, tensorFromBytes } from '../../io/tensor-io.ts';
import { type DType, keep, type Tensor } from '../../tensor/index.ts';
import { SINGLE_WEIGHTS_FILE, WEIGHTS_INDEX_FILE, type WeightsIndex } from './snapshot-files.ts';

export class WeightFiles {
  private readonly readers: SafetensorsReader[];
  private readonly owner: Map<string, SafetensorsReader>;

  private constructor(readers: SafetensorsReader[], owner: Map<string, SafetensorsReader>) {
    this.readers = readers;
    this.owner = owner;
  }

  /** Opens `dir/model.safetensors`, else the shards listed by `dir/model.safetensors.index.json`. */
  static async open(dir: string): Promise<WeightFiles> {
    const files = await weightFileNames(dir);
    const readers: SafetensorsReader[] = [];
    try {
      for (const f of files) readers.push(await SafetensorsReader.open(join(dir, f)));
    } catch (e) {
      await Promise.all(readers.map((r) => r.close()));
      throw e;
    }
    const owner = new Map<string, SafetensorsReader>();
    for (const r of readers) {
      for (const name of r.names()) {
        const other = owner.get(name);
        if (other) throw new Error(`tensor "${name}" is stored twice: in ${other.path} and ${r.path}`);
        owner.set(name, r);
      }
    }
    return new WeightFiles(readers, owner);
  }

  names(): string[] {
    return [...this.owner.keys()];
  }

  /** Every tensor's shape by name. */
  shapes(): Map<string, number[]> {
    return new Map(this.names().map((n) => [n, this.info(n).shape]));
  }

  info(name: string): TensorInfo {
    return this.reader(name).info(name);
  }

  /** Reads one tensor, cast to `dtype`, on `device`; kept out of any open scope (the caller owns it). */
  async read(name: string, dtype: DType, device: string): Promise<Tensor> {
    const info = this.info(name);
    const raw = tensorFromBytes(await this.reader(name).read(name), tensorDType(info.dtype), info.shape);
    if (raw.dtype === dtype && device === 'cpu') return keep(raw);
    const cast = keep(raw.to({ dtype, device }));
    raw.dispose();
    return cast;
  }

  async close(): Promise<void> {
    await Promise.all(this.readers.map((r) => r.close()));
  }

  private reader(name: string): SafetensorsReader {
    const r = this.owner.get(name);
    if (!r) throw new Error(`no weights file holds tensor "${name}"`);
    return r;
  }
}

/** The weights files of a snapshot: the single file, or the shards of its index. */
async function weightFileNames(dir: string): Promise<string[]> {
  if (existsSync(join(dir, SINGLE_WEIGHTS_FILE))) return [SINGLE_WEIGHTS_FILE];
  const indexPath = join(dir, WEIGHTS_INDEX_FILE);
  if (!existsSync(indexPath)) {
    const other = existsSync(join(dir, 'pytorch_model.bin'))
      ? ' (pytorch_model.bin is not supported: convert it to safetensors)'
      : '';
    throw new Error(`${dir}: no ${SINGLE_WEIGHTS_FILE} or ${WEIGHTS_INDEX_FILE}${other}`);
  }
  const index = JSON.parse(await readFile(indexPath, 'utf8')) as Partial<WeightsIndex>;
  if (!index.weight_map || typeof index.weight_map !== 'object')
    throw new Error(`${indexPath}: missing "weight_map"`);
  return [...new Set(Object.values(index.weight_map))].sort();
}
