/** Element types, with the codes shared with native/src/handle.cc. */
export type DType = 'float32' | 'float64' | 'bfloat16' | 'int64' | 'bool' | 'float16' | 'int32' | 'uint8';

const CODES: Record<DType, number> = {
  float32: 0,
  float64: 1,
  bfloat16: 2,
  int64: 3,
  bool: 4,
  float16: 5,
  int32: 6,
  uint8: 7,
};
const NAMES = Object.keys(CODES) as DType[];

export function dtypeCode(d: DType): number {
  const code = CODES[d];
  if (code === undefined) throw new Error(`unknown dtype "${d}"; known: ${NAMES.join(', ')}`);
  return code;
}

export function dtypeFromCode(code: number): DType {
  const name = NAMES[code];
  if (name === undefined) throw new Error(`unknown dtype code ${code}`);
  return name;
}

const BYTES: Record<DType, number> = {
  float32: 4,
  float64: 8,
  bfloat16: 2,
  int64: 8,
  bool: 1,
  float16: 2,
  int32: 4,
  uint8: 1,
};

/** Bytes per element. */
export function dtypeBytes(d: DType): number {
  return BYTES[d];
}

export function isFloating(d: DType): boolean {
  return d === 'float32' || d === 'float64' || d === 'bfloat16' || d === 'float16';
}

export type AnyTypedArray =
  | Float32Array
  | Float64Array
  | BigInt64Array
  | Int32Array
  | Uint16Array
  | Uint8Array;

export function typedArrayOf(d: DType, buf: ArrayBuffer): AnyTypedArray {
  switch (d) {
    case 'float32':
      return new Float32Array(buf);
    case 'float64':
      return new Float64Array(buf);
    case 'int64':
      return new BigInt64Array(buf);
    case 'int32':
      return new Int32Array(buf);
    case 'bfloat16':
    case 'float16':
      return new Uint16Array(buf);
    default:
      return new Uint8Array(buf);
  }
}

/** The dtype a typed array naturally carries. */
export function dtypeOfTypedArray(a: ArrayBufferView): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof BigInt64Array) return 'int64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Uint8Array) return 'uint8';
  throw new Error(`cannot infer a dtype from ${a.constructor.name}; pass { dtype }`);
}
