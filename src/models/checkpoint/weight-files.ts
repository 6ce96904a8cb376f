/**
 * The weights of a snapshot folder, single-file or sharded: safetensors (preferred; headers read up
 * front, each tensor's bytes only when asked for) or, when a snapshot has none, PyTorch's
 * `pytorch_model.bin` zip archives (each file read whole by the addon; no Python, no code run).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { MANIFEST_FILE, manifestProblem, pathWithin } from '../../io/file-manifest.ts';
import { readPytorchBin } from '../../io/pytorch-bin.ts';
import { SafetensorsReader } from '../../io/safetensors.ts';
import { tensorDType, tensorFromBytes } from '../../io/tensor-io.ts';
import { type DType, dispose, keep, type Tensor } from '../../tensor/index.ts';
import {
  PYTORCH_WEIGHTS_FILE,
  PYTORCH_WEIGHTS_INDEX_FILE,
  SINGLE_WEIGHTS_FILE,
  WEIGHTS_INDEX_FILE,
  type WeightsIndex,
} from '../gptneox/snapshot-files.ts';

/** One weights file. */
interface WeightSource {
  readonly path: string;
  names(): string[];
  shape(name: string): number[];
  /** The tensor cast to `dtype` on `device`, owned by the caller; each name is read once. */
  read(name: string, dtype: DType, device: string): Promise<Tensor>;
  close(): Promise<void>;
}

/** Casts `raw` (which it consumes) to dtype/device, out of any open scope. */
function castOwned(raw: Tensor, dtype: DType, device: string): Tensor {
  if (raw.dtype === dtype && device === 'cpu') return keep(raw);
  const cast = keep(raw.to({ dtype, device }));
  raw.dispose();
  return cast;
}

class SafetensorsSource implements WeightSource {
  constructor(private readonly reader: SafetensorsReader) {}
  get path(): string {
    return this.reader.path;
  }
  names(): string[] {
    return this.reader.names();
  }
  shape(name: string): number[] {
    return this.reader.info(name).shape;
  }
  async read(name: string, dtype: DType, device: string): Promise<Tensor> {
    const info = this.reader.info(name);
    return castOwned(
      tensorFromBytes(await this.reader.read(name), tensorDType(info.dtype), info.shape),
      dtype,
      device,
    );
  }
  close(): Promise<void> {
    return this.reader.close();
  }
}

/** A whole pytorch_model.bin in memory; `read` hands each tensor over, `close` frees the rest. */
class PytorchBinSource implements WeightSource {
  private readonly tensors: Map<string, Tensor>;
  private readonly shapes: Map<string, number[]>;
  constructor(readonly path: string) {
    this.tensors = readPytorchBin(path);
    this.shapes = new Map([...this.tensors].map(([n, t]) => [n, t.shape]));
  }
  names(): string[] {
    return [...this.shapes.keys()];
  }
  shape(name: string): number[] {
    return this.shapes.get(name)!;
  }
  async read(name: string, dtype: DType, device: string): Promise<Tensor> {
    const t = this.tensors.get(name);
    if (!t) throw new Error(`${this.path}: tensor "${name}" was already read`);
    this.tensors.delete(name);
    return castOwned(t, dtype, device);
  }
  async close(): Promise<void> {
    dispose([...this.tensors.values()]);
    this.tensors.clear();
  }
}

export class WeightFiles {
  private readonly sources: WeightSource[];
  private readonly owner: Map<string, WeightSource>;

  private constructor(sources: WeightSource[], owner: Map<string, WeightSource>) {
    this.sources = sources;
    this.owner = owner;
  }

  /**
   * Opens `dir/model.safetensors`, else the shards of `dir/model.safetensors.index.json`, else
   * `dir/pytorch_model.bin`, else the shards of `dir/pytorch_model.bin.index.json`.
   */
  static async open(dir: string): Promise<WeightFiles> {
    // A folder written with a manifest (a run's model/) must still match it: a weights file
    // replaced or damaged since is named instead of loaded.
    if (existsSync(join(dir, MANIFEST_FILE))) {
      const problem = manifestProblem(dir);
      if (problem !== null) throw new Error(`${dir}: ${problem}; the model cannot be trusted`);
    }
    const { files, format } = await weightFileNames(dir);
    const sources: WeightSource[] = [];
    try {
      for (const f of files) {
        const path = pathWithin(dir, f);
        if (path === null)
          throw new Error(`${dir}: the weights index names "${f}", which is not a file inside ${dir}`);
        sources.push(
          format === 'safetensors'
            ? new SafetensorsSource(await SafetensorsReader.open(path))
            : new PytorchBinSource(path),
        );
      }
      const owner = new Map<string, WeightSource>();
      for (const s of sources) {
        for (const name of s.names()) {
          const other = owner.get(name);
          if (other) throw new Error(`tensor "${name}" is stored twice: in ${other.path} and ${s.path}`);
          owner.set(name, s);
        }
      }
      return new WeightFiles(sources, owner);
    } catch (e) {
      await Promise.all(sources.map((s) => s.close()));
      throw e;
    }
  }

  names(): string[] {
    return [...this.owner.keys()];
  }

  /** Every tensor's shape by name. */
  shapes(): Map<string, number[]> {
    return new Map(this.names().map((n) => [n, this.source(n).shape(n)]));
  }

  /** Reads one tensor, cast to `dtype`, on `device`; kept out of any open scope (the caller owns it). */
  read(name: string, dtype: DType, device: string): Promise<Tensor> {
    return this.source(name).read(name, dtype, device);
  }

  async close(): Promise<void> {
    await Promise.all(this.sources.map((s) => s.close()));
  }

  private source(name: string): WeightSource {
    const s = this.owner.get(name);
    if (!s) throw new Error(`no weights file holds tensor "${name}"`);
    return s;
  }
}

/** The weights files of a snapshot, safetensors first: the single file, or the shards of its index. */
async function weightFileNames(dir: string): Promise<{ files: string[]; format: 'safetensors' | 'pytorch' }> {
  if (existsSync(join(dir, SINGLE_WEIGHTS_FILE)))
    return { files: [SINGLE_WEIGHTS_FILE], format: 'safetensors' };
  if (existsSync(join(dir, WEIGHTS_INDEX_FILE)))
    return { files: await shardNames(join(dir, WEIGHTS_INDEX_FILE)), format: 'safetensors' };
  if (existsSync(join(dir, PYTORCH_WEIGHTS_FILE)))
    return { files: [PYTORCH_WEIGHTS_FILE], format: 'pytorch' };
  if (existsSync(join(dir, PYTORCH_WEIGHTS_INDEX_FILE)))
    return { files: await shardNames(join(dir, PYTORCH_WEIGHTS_INDEX_FILE)), format: 'pytorch' };
  throw new Error(
    `${dir}: no weights (${SINGLE_WEIGHTS_FILE}, ${WEIGHTS_INDEX_FILE}, ${PYTORCH_WEIGHTS_FILE} or ${PYTORCH_WEIGHTS_INDEX_FILE})`,
  );
}

async function shardNames(indexPath: string): Promise<string[]> {
  let index: Partial<WeightsIndex>;
  try {
    index = JSON.parse(await readFile(indexPath, 'utf8')) as Partial<WeightsIndex>;
  } catch (e) {
    throw new Error(`${indexPath}: ${(e as Error).message}`);
  }
  if (!index.weight_map || typeof index.weight_map !== 'object')
    throw new Error(`${indexPath}: missing "weight_map"`);
  const files = [...new Set(Object.values(index.weight_map))].sort();
  for (const f of files)
    if (typeof f !== 'string' || pathWithin(dirname(indexPath), f) === null)
      throw new Error(
        `${indexPath}: weight_map names ${JSON.stringify(f)}, which is not a file inside its folder`,
      );
  return files;
}
