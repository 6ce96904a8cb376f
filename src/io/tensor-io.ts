/**
 * Bridges tensors and safetensors files: dtype mapping, zero-copy views for writing, and loading
 * named tensors (each read positionally, so a checkpoint is never held twice in JS memory).
 */
import { native } from '../native/binding.ts';
import { type DType, dtypeCode } from '../tensor/dtype.ts';
import { type Tensor, wrap } from '../tensor/tensor.ts';
import {
  type SafetensorsDType,
  SafetensorsReader,
  type TensorToWrite,
  writeSafetensors,
} from './safetensors.ts';

const TO_FILE: Partial<Record<DType, SafetensorsDType>> = {
  float32: 'F32',
  float64: 'F64',
  bfloat16: 'BF16',
  float16: 'F16',
  int64: 'I64',
  int32: 'I32',
  uint8: 'U8',
  bool: 'BOOL',
};
const FROM_FILE: Partial<Record<SafetensorsDType, DType>> = Object.fromEntries(
  Object.entries(TO_FILE).map(([k, v]) => [v, k as DType]),
);

export function safetensorsDType(d: DType): SafetensorsDType {
  const s = TO_FILE[d];
  if (!s) throw new Error(`dtype ${d} cannot be stored in safetensors`);
  return s;
}

export function tensorDType(s: SafetensorsDType): DType {
  const d = FROM_FILE[s];
  if (!d)
    throw new Error(
      `safetensors dtype ${s} has no tensor dtype here (supported: ${Object.keys(FROM_FILE).join(', ')})`,
    );
  return d;
}

/** A lazy entry: the tensor's bytes are viewed (not copied) only when the writer reaches it. */
export function tensorEntry(name: string, t: Tensor): TensorToWrite {
  return {
    name,
    dtype: safetensorsDType(t.dtype),
    shape: t.shape,
    data: () => new Uint8Array(native.dataView(t.handle)),
  };
}

/** Writes named tensors atomically to a safetensors file. */
export async function saveTensors(
  path: string,
  tensors: Map<string, Tensor> | [string, Tensor][],
  metadata?: Record<string, string>,
): Promise<void> {
  const entries = [...tensors].map(([name, t]) => tensorEntry(name, t));
  await writeSafetensors(path, entries, metadata);
}

/** Builds a CPU tensor from raw little-endian bytes. */
export function tensorFromBytes(bytes: Uint8Array, dtype: DType, shape: number[], device = 'cpu'): Tensor {
  return wrap(native.fromData(bytes, shape, dtypeCode(dtype), device));
}

/** Reads every tensor of a safetensors file (optionally cast), returning the metadata too. */
export async function loadTensors(
  path: string,
  opts: { dtype?: DType; device?: string } = {},
): Promise<{ tensors: Map<string, Tensor>; metadata: Record<string, string> }> {
  const reader = await SafetensorsReader.open(path);
  try {
    const tensors = new Map<string, Tensor>();
    for (const name of reader.names()) {
      const info = reader.info(name);
      let t = tensorFromBytes(
        await reader.read(name),
        tensorDType(info.dtype),
        info.shape,
        opts.device ?? 'cpu',
      );
      if (opts.dtype && opts.dtype !== t.dtype) {
        const cast = t.to(opts.dtype);
        t.dispose();
        t = cast;
      }
      tensors.set(name, t);
    }
    return { tensors, metadata: reader.metadata };
  } finally {
    await reader.close();
  }
}
