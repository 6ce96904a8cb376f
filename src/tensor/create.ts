/** Tensor factories: from JS data, constants, ranges and seeded random draws. */
import { native } from '../native/binding.ts';
import { getDefaultDevice } from './device.ts';
import { type DType, dtypeCode, dtypeOfTypedArray } from './dtype.ts';
import type { Generator } from './random.ts';
import { type Tensor, wrap } from './tensor.ts';

export interface CreateOptions {
  dtype?: DType;
  device?: string;
  requiresGrad?: boolean;
}

type Nested = number | boolean | Nested[];

function finish(t: Tensor, o: CreateOptions): Tensor {
  if (o.requiresGrad) t.requiresGrad_(true);
  return t;
}

function inferShape(data: Nested): number[] {
  const shape: number[] = [];
  let cur: Nested = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0] as Nested;
  }
  return shape;
}

function flattenNested(data: Nested, shape: number[], out: number[], depth = 0): void {
  if (!Array.isArray(data)) {
    out.push(typeof data === 'boolean' ? Number(data) : data);
    return;
  }
  if (data.length !== shape[depth])
    throw new Error(
      `ragged nested array: expected ${shape[depth]} items at depth ${depth}, got ${data.length}`,
    );
  for (const d of data) flattenNested(d, shape, out, depth + 1);
}

function typedFor(dtype: DType, values: number[]): ArrayBufferView {
  switch (dtype) {
    case 'float32':
      return Float32Array.from(values);
    case 'float64':
      return Float64Array.from(values);
    case 'int64':
      return BigInt64Array.from(values, (v) => BigInt(Math.trunc(v)));
    case 'int32':
      return Int32Array.from(values);
    case 'bool':
      return Uint8Array.from(values, (v) => (v !== 0 ? 1 : 0)); // bool storage must hold 0/1
    case 'uint8':
      return Uint8Array.from(values);
    default:
      return Float32Array.from(values);
  }
}

/**
 * A tensor from nested JS arrays, a number, or a typed array (copied; give `shape` for typed
 * arrays of rank ≠ 1). Default dtype: float32 for numbers, bool for booleans, the typed array's own.
 */
export function tensor(
  data: Nested | ArrayBufferView,
  opts: CreateOptions & { shape?: number[] } = {},
): Tensor {
  const device = opts.device ?? getDefaultDevice();
  if (ArrayBuffer.isView(data)) {
    const natural = dtypeOfTypedArray(data);
    const shape = opts.shape ?? [(data as unknown as ArrayLike<unknown>).length];
    const t = wrap(native.fromData(data, shape, dtypeCode(natural), device));
    return finish(opts.dtype && opts.dtype !== natural ? t.to(opts.dtype) : t, opts);
  }
  const shape = opts.shape ?? inferShape(data);
  const flat: number[] = [];
  flattenNested(data, inferShape(data), flat);
  const isBool = typeof firstLeaf(data) === 'boolean';
  const dtype = opts.dtype ?? (isBool ? 'bool' : 'float32');
  const stored: DType = dtype === 'bfloat16' || dtype === 'float16' ? 'float32' : dtype;
  const t = wrap(native.fromData(typedFor(stored, flat), shape, dtypeCode(stored), device));
  return finish(stored === dtype ? t : t.to(dtype), opts);
}

function firstLeaf(data: Nested): Nested {
  let cur = data;
  while (Array.isArray(cur)) cur = cur[0] as Nested;
  return cur;
}

export function full(shape: number[], value: number | boolean, opts: CreateOptions = {}): Tensor {
  const dtype = opts.dtype ?? (typeof value === 'boolean' ? 'bool' : 'float32');
  return finish(wrap(native.full(shape, value, dtypeCode(dtype), opts.device ?? getDefaultDevice())), opts);
}
export function zeros(shape: number[], opts: CreateOptions = {}): Tensor {
  return full(shape, 0, opts);
}
export function ones(shape: number[], opts: CreateOptions = {}): Tensor {
  return full(shape, 1, opts);
}
/** Zeros with the shape, dtype and device of `like` (no autograd history). */
export function zerosLike(like: Tensor): Tensor {
  return zeros(like.shape, { dtype: like.dtype, device: like.device });
}
/** Ones with the shape, dtype and device of `like` (no autograd history). */
export function onesLike(like: Tensor): Tensor {
  return ones(like.shape, { dtype: like.dtype, device: like.device });
}
/** Values start, start+step, … < end (int64 by default when all arguments are integers). */
export function arange(start: number, end?: number, step = 1, opts: CreateOptions = {}): Tensor {
  const [lo, hi] = end === undefined ? [0, start] : [start, end];
  const ints = Number.isInteger(lo) && Number.isInteger(hi) && Number.isInteger(step);
  const dtype = opts.dtype ?? (ints ? 'int64' : 'float32');
  return wrap(native.arange(lo, hi, step, dtypeCode(dtype), opts.device ?? getDefaultDevice()));
}
/** Random draws of `shape` by one of libtorch's samplers, from `gen` (or the global stream). */
function draws(
  sampler: typeof native.randn,
  shape: number[],
  gen: Generator | undefined,
  opts: CreateOptions,
): Tensor {
  const h = sampler(
    shape,
    gen?.handle ?? null,
    dtypeCode(opts.dtype ?? 'float32'),
    opts.device ?? getDefaultDevice(),
  );
  return finish(wrap(h), opts);
}
/** Standard normal draws; pass a Generator for reproducibility. */
export function randn(shape: number[], gen?: Generator, opts: CreateOptions = {}): Tensor {
  return draws(native.randn, shape, gen, opts);
}
/** Uniform draws in [0, 1). */
export function rand(shape: number[], gen?: Generator, opts: CreateOptions = {}): Tensor {
  return draws(native.rand, shape, gen, opts);
}
/** Integers uniform in [low, high). */
export function randint(
  low: number,
  high: number,
  shape: number[],
  gen?: Generator,
  opts: CreateOptions = {},
): Tensor {
  return wrap(
    native.randint(
      low,
      high,
      shape,
      gen?.handle ?? null,
      dtypeCode(opts.dtype ?? 'int64'),
      opts.device ?? getDefaultDevice(),
    ),
  );
}
/** A random permutation of 0..n-1. */
export function randperm(n: number, gen?: Generator, opts: CreateOptions = {}): Tensor {
  return wrap(
    native.randperm(
      n,
      gen?.handle ?? null,
      dtypeCode(opts.dtype ?? 'int64'),
      opts.device ?? getDefaultDevice(),
    ),
  );
}
