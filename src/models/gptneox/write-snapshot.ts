/**
 * Writing an HF snapshot folder that transformers' `from_pretrained` loads: config.json, the
 * weights as model.safetensors or (above `maxShardBytes`) shards plus model.safetensors.index.json,
 * and the tokenizer files. Each file is written atomically; stale weights files of an earlier save
 * in the same folder are removed.
 */

import { existsSync } from 'node:fs';
import { copyFile, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeFileAtomically } from '../../io/atomic-write.ts';
import { makeDirs } from '../../io/make-dirs.ts';
import { DTYPE_BYTES, type TensorToWrite, writeSafetensors } from '../../io/safetensors.ts';
import { safetensorsDType } from '../../io/tensor-io.ts';
import { type DType, noGrad, type Tensor, tidy } from '../../tensor/index.ts';
import type { GPTNeoXConfig } from './config.ts';
import { type ConfigJsonExtras, toConfigJson } from './config-json.ts';
import {
  CONFIG_FILE,
  DEFAULT_MAX_SHARD_BYTES,
  isWeightsFileName,
  SAFETENSORS_METADATA,
  SINGLE_WEIGHTS_FILE,
  shardFileName,
  TOKENIZER_FILES,
  WEIGHTS_INDEX_FILE,
  type WeightsIndex,
} from './snapshot-files.ts';

/** A model to save: its config, HF class names and tensors in HF module order. */
export interface SnapshotContent {
  config: GPTNeoXConfig;
  architectures: string[];
  tensors: [string, Tensor][];
  extraConfig?: Record<string, unknown>;
}

/** Another family's snapshot: its config.json comes from its own writer. */
export interface FamilySnapshotContent extends Omit<SnapshotContent, 'config'> {
  configJson: (extras: ConfigJsonExtras) => Record<string, unknown>;
}

export interface SaveOptions {
  /** Largest shard in bytes (HF's default 5 GB); a model above it is split. */
  maxShardBytes?: number;
  /** Store the weights in this dtype (default: each tensor's own). */
  dtype?: 'float32' | 'bfloat16';
  /** Copy tokenizer.json (and its config files when present) from this folder. */
  tokenizerDir?: string | null;
}

/** HF's spelling of a weight dtype in config.json. */
const TORCH_DTYPE: Partial<Record<DType, string>> = {
  float32: 'float32',
  bfloat16: 'bfloat16',
  float16: 'float16',
};

function storedDType(t: Tensor, o: SaveOptions): DType {
  return o.dtype ?? t.dtype;
}

/** A safetensors entry whose bytes (cast and moved to the CPU when needed) are made on demand. */
function entryFor(name: string, t: Tensor, dtype: DType): TensorToWrite {
  const data = () =>
    tidy(() =>
      noGrad(() => {
        const a = t.to({ dtype, device: 'cpu' }).contiguous().toTypedArray();
        return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
      }),
    );
  return { name, dtype: safetensorsDType(dtype), shape: t.shape, data };
}

/** Groups tensors, in order, into shards of at most `limit` bytes (a larger tensor gets its own). */
export function planShards(sizes: [string, number][], limit: number): string[][] {
  const shards: string[][] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const [name, size] of sizes) {
    if (current.length > 0 && bytes + size > limit) {
      shards.push(current);
      current = [];
      bytes = 0;
    }
    current.push(name);
    bytes += size;
  }
  if (current.length > 0) shards.push(current);
  return shards;
}

async function writeJson(path: string, value: unknown): Promise<void> {
  const bytes = new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);
  await writeFileAtomically(path, (sink) => sink.write(bytes));
}

async function writeWeights(
  dir: string,
  content: SnapshotContent | FamilySnapshotContent,
  o: SaveOptions,
): Promise<string[]> {
  const entries = new Map(content.tensors.map(([name, t]) => [name, entryFor(name, t, storedDType(t, o))]));
  const sizes = content.tensors.map(([name, t]): [string, number] => [
    name,
    t.size * DTYPE_BYTES[safetensorsDType(storedDType(t, o))],
  ]);
  const shards = planShards(sizes, o.maxShardBytes ?? DEFAULT_MAX_SHARD_BYTES);
  const files =
    shards.length === 1 ? [SINGLE_WEIGHTS_FILE] : shards.map((_, i) => shardFileName(i, shards.length));
  for (const [i, names] of shards.entries()) {
    await writeSafetensors(
      join(dir, files[i]!),
      names.map((n) => entries.get(n)!),
      SAFETENSORS_METADATA,
    );
  }
  if (shards.length > 1) {
    const index: WeightsIndex = {
      metadata: { total_size: sizes.reduce((sum, [, s]) => sum + s, 0) },
      weight_map: Object.fromEntries(shards.flatMap((names, i) => names.map((n) => [n, files[i]!]))),
    };
    await writeJson(join(dir, WEIGHTS_INDEX_FILE), index);
    files.push(WEIGHTS_INDEX_FILE);
  }
  return files;
}

async function removeStaleWeights(dir: string, keep: string[]): Promise<void> {
  const stale = (await readdir(dir)).filter((f) => isWeightsFileName(f) && !keep.includes(f));
  await Promise.all(stale.map((f) => rm(join(dir, f), { force: true })));
}

async function copyTokenizer(from: string, to: string): Promise<void> {
  if (resolve(from) === resolve(to)) return;
  for (const f of TOKENIZER_FILES) {
    if (existsSync(join(from, f))) await copyFile(join(from, f), join(to, f));
  }
}

/** Writes `content` as an HF snapshot into `dir` (created if needed). */
export async function writeSnapshot(
  dir: string,
  content: SnapshotContent | FamilySnapshotContent,
  o: SaveOptions = {},
): Promise<void> {
  makeDirs(dir);
  const files = await writeWeights(dir, content, o);
  await removeStaleWeights(dir, files);
  const first = content.tensors[0]?.[1];
  const torchDtype = first ? (TORCH_DTYPE[storedDType(first, o)] ?? 'float32') : 'float32';
  const extras = { architectures: content.architectures, torchDtype, extra: content.extraConfig };
  const configJson =
    'configJson' in content ? content.configJson(extras) : toConfigJson(content.config, extras);
  await writeJson(join(dir, CONFIG_FILE), configJson);
  if (o.tokenizerDir) await copyTokenizer(o.tokenizerDir, dir);
}
