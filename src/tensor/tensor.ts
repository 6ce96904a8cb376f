/**
 * The Tensor class — a typed, scoped view of a libtorch tensor.
 *
 * Methods map one-to-one onto libtorch ops (same names as PyTorch where JS allows), so autograd,
 * broadcasting and type promotion follow torch exactly. Every result is tracked by the current
 * scope (see scope.ts); errors from libtorch arrive as JS Errors naming the op and input shapes.
 */
import { type Handle, native } from '../native/binding.ts';
import { type AnyTypedArray, type DType, dtypeCode, dtypeFromCode, typedArrayOf } from './dtype.ts';
import { noGrad } from './grad.ts';
import { type Disposable, track } from './scope.ts';

export type Scalar = number | boolean;
export type TensorLike = Tensor | Scalar;

function arg(x: TensorLike): Handle | Scalar {
  return x instanceof Tensor ? x.handle : x;
}

/** Wraps a native handle into a scope-tracked Tensor. */
export function wrap(h: Handle): Tensor {
  return track(new Tensor(h));
}

function wrapPair(hs: [Handle, Handle]): [Tensor, Tensor] {
  return [wrap(hs[0]), wrap(hs[1])];
}

/** A number, or arrays of them nested to any depth (what {@link Tensor.tolist} returns). */
export type NestedNumbers = number | NestedNumbers[];

export class Tensor implements Disposable {
  #handle: Handle;
  #disposed = false;
  #shape: number[] | undefined;

  /** Use the factory functions (tensor, zeros, randn, …); this wraps an existing native handle. */
  constructor(handle: Handle) {
    this.#handle = handle;
  }

  /**
   * The native handle. After dispose() it stays a (reset) handle that the addon rejects, so using a
   * disposed tensor throws an Error naming the op and its inputs ("exp: argument 0 was disposed").
   */
  get handle(): Handle {
    return this.#handle;
  }

  get isDisposed(): boolean {
    return this.#disposed;
  }

  /** Frees the tensor's storage now (if no other tensor or graph shares it). Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    native.dispose(this.#handle);
    this.#disposed = true;
  }

  get shape(): number[] {
    this.#shape ??= native.shape(this.handle);
    return this.#shape;
  }
  get rank(): number {
    return this.shape.length;
  }
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }
  get dtype(): DType {
    return dtypeFromCode(native.dtype(this.handle));
  }
  get device(): string {
    return native.device(this.handle);
  }
  /** Size of one dimension; negative dims count from the end. */
  dim(d: number): number {
    const s = this.shape;
    const v = s[d < 0 ? s.length + d : d];
    if (v === undefined) throw new Error(`dim ${d} out of range for shape [${s}]`);
    return v;
  }

  // ------------------------------------------------------------------ data and autograd
  item(): number {
    return Number(native.item(this.handle));
  }
  /** A copy of the elements in row-major order (int64 as BigInt64Array, 16-bit floats as raw words). */
  toTypedArray(): AnyTypedArray {
    return typedArrayOf(this.dtype, native.toData(this.handle));
  }
  /**
   * Elements as plain numbers, flat in row-major order; {@link tolist} gives them nested by the shape.
   */
  toArray(): number[] {
    const d = this.dtype;
    if (d === 'bfloat16' || d === 'float16') return noGrad(() => this.to('float32')).toArrayAndDispose();
    return Array.from(this.toTypedArray() as ArrayLike<number | bigint>, Number);
  }
  /**
   * Elements as nested arrays following the shape, as PyTorch's `tolist()`: a number for a 0-d
   * tensor, `number[]` for 1-d, `number[][]` for 2-d, …
   */
  tolist(): NestedNumbers {
    const flat = this.toArray();
    const shape = this.shape;
    if (shape.length === 0) return flat[0]!;
    const nest = (dim: number, offset: number): NestedNumbers[] => {
      const size = shape[dim]!;
      if (dim === shape.length - 1) return flat.slice(offset, offset + size);
      const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
      return Array.from({ length: size }, (_, i) => nest(dim + 1, offset + i * stride));
    };
    return nest(0, 0);
  }
  private toArrayAndDispose(): number[] {
    const out = this.toArray();
    this.dispose();
    return out;
  }
  get requiresGrad(): boolean {
    return native.requiresGrad(this.handle);
  }
  /** Marks this (leaf) tensor as a parameter whose gradient autograd accumulates; returns this. */
  requiresGrad_(on = true): this {
    native.setRequiresGrad(this.handle, on);
    return this;
  }
  /** The accumulated gradient, or null. A new wrapper each call: dispose it (or tidy) after use. */
  get grad(): Tensor | null {
    const g = native.grad(this.handle);
    return g === null ? null : wrap(g);
  }
  set grad(g: Tensor | null) {
    native.setGrad(this.handle, g === null ? null : g.handle);
  }
  /** Backpropagates from this tensor (a scalar unless gradient is given). */
  backward(gradient?: Tensor, opts: { retainGraph?: boolean } = {}): void {
    native.backward(this.handle, gradient ? gradient.handle : null, opts.retainGraph ?? false);
  }
  detach(): Tensor {
    return wrap(native.detach(this.handle));
  }
  clone(): Tensor {
    return wrap(native.clone(this.handle));
  }
  contiguous(): Tensor {
    return wrap(native.contiguous(this.handle));
  }
  /** Casts and/or moves: to('float64'), to({ device: 'cuda' }), to({ dtype, device }). */
  to(target: DType | { dtype?: DType; device?: string }): Tensor {
    const t = typeof target === 'string' ? { dtype: target } : target;
    return wrap(native.to(this.handle, t.dtype ? dtypeCode(t.dtype) : null, t.device ?? null));
  }
  float(): Tensor {
    return this.to('float32');
  }
  double(): Tensor {
    return this.to('float64');
  }
  long(): Tensor {
    return this.to('int64');
  }
  equal(other: Tensor): boolean {
    return native.equal(this.handle, other.handle);
  }

  // ------------------------------------------------------------------ elementwise
  add(o: TensorLike): Tensor {
    return wrap(native.add(this.handle, arg(o)));
  }
  sub(o: TensorLike): Tensor {
    return wrap(native.sub(this.handle, arg(o)));
  }
  /** s − this, for a scalar s. */
  rsub(s: number): Tensor {
    return wrap(native.rsub(this.handle, s));
  }
  mul(o: TensorLike): Tensor {
    return wrap(native.mul(this.handle, arg(o)));
  }
  div(o: TensorLike): Tensor {
    return wrap(native.div(this.handle, arg(o)));
  }
  pow(o: TensorLike): Tensor {
    return wrap(native.pow(this.handle, arg(o)));
  }
  remainder(o: TensorLike): Tensor {
    return wrap(native.remainder(this.handle, arg(o)));
  }
  minimum(o: TensorLike): Tensor {
    return wrap(native.minimum(this.handle, arg(o)));
  }
  maximum(o: TensorLike): Tensor {
    return wrap(native.maximum(this.handle, arg(o)));
  }
  eq(o: TensorLike): Tensor {
    return wrap(native.eq(this.handle, arg(o)));
  }
  ne(o: TensorLike): Tensor {
    return wrap(native.ne(this.handle, arg(o)));
  }
  lt(o: TensorLike): Tensor {
    return wrap(native.lt(this.handle, arg(o)));
  }
  le(o: TensorLike): Tensor {
    return wrap(native.le(this.handle, arg(o)));
  }
  gt(o: TensorLike): Tensor {
    return wrap(native.gt(this.handle, arg(o)));
  }
  ge(o: TensorLike): Tensor {
    return wrap(native.ge(this.handle, arg(o)));
  }
  logicalAnd(o: TensorLike): Tensor {
    return wrap(native.logicalAnd(this.handle, arg(o)));
  }
  logicalOr(o: TensorLike): Tensor {
    return wrap(native.logicalOr(this.handle, arg(o)));
  }
  neg(): Tensor {
    return wrap(native.neg(this.handle));
  }
  exp(): Tensor {
    return wrap(native.exp(this.handle));
  }
  log(): Tensor {
    return wrap(native.log(this.handle));
  }
  log1p(): Tensor {
    return wrap(native.log1p(this.handle));
  }
  expm1(): Tensor {
    return wrap(native.expm1(this.handle));
  }
  tanh(): Tensor {
    return wrap(native.tanh(this.handle));
  }
  sigmoid(): Tensor {
    return wrap(native.sigmoid(this.handle));
  }
  /** log σ(x), computed stably. */
  logSigmoid(): Tensor {
    return wrap(native.logSigmoid(this.handle));
  }
  relu(): Tensor {
    return wrap(native.relu(this.handle));
  }
  sqrt(): Tensor {
    return wrap(native.sqrt(this.handle));
  }
  rsqrt(): Tensor {
    return wrap(native.rsqrt(this.handle));
  }
  abs(): Tensor {
    return wrap(native.abs(this.handle));
  }
  sign(): Tensor {
    return wrap(native.sign(this.handle));
  }
  square(): Tensor {
    return wrap(native.square(this.handle));
  }
  reciprocal(): Tensor {
    return wrap(native.reciprocal(this.handle));
  }
  sin(): Tensor {
    return wrap(native.sin(this.handle));
  }
  cos(): Tensor {
    return wrap(native.cos(this.handle));
  }
  floor(): Tensor {
    return wrap(native.floor(this.handle));
  }
  erf(): Tensor {
    return wrap(native.erf(this.handle));
  }
  logicalNot(): Tensor {
    return wrap(native.logicalNot(this.handle));
  }
  isnan(): Tensor {
    return wrap(native.isnan(this.handle));
  }
  isfinite(): Tensor {
    return wrap(native.isfinite(this.handle));
  }
  /** GELU: exact (erf) by default, or the tanh approximation. */
  gelu(approximate: 'none' | 'tanh' = 'none'): Tensor {
    return wrap(native.gelu(this.handle, approximate));
  }
  softplus(beta = 1, threshold = 20): Tensor {
    return wrap(native.softplus(this.handle, beta, threshold));
  }
  clamp(min: number | null, max: number | null = null): Tensor {
    return wrap(native.clamp(this.handle, min, max));
  }
  maskedFill(mask: Tensor, value: Scalar): Tensor {
    return wrap(native.maskedFill(this.handle, mask.handle, value));
  }

  // ------------------------------------------------------------------ reductions
  sum(dims?: number | number[], keepdim = false): Tensor {
    return wrap(native.sum(this.handle, dimsArg(dims), keepdim));
  }
  mean(dims?: number | number[], keepdim = false): Tensor {
    return wrap(native.mean(this.handle, dimsArg(dims), keepdim));
  }
  /** Maximum over all elements, or over dims (values only; see maxWithIndices). */
  max(dims?: number | number[], keepdim = false): Tensor {
    const d = dimsArg(dims);
    return wrap(d === null ? native.maxAll(this.handle) : native.amax(this.handle, d, keepdim));
  }
  min(dims?: number | number[], keepdim = false): Tensor {
    const d = dimsArg(dims);
    return wrap(d === null ? native.minAll(this.handle) : native.amin(this.handle, d, keepdim));
  }
  maxWithIndices(dim: number, keepdim = false): [Tensor, Tensor] {
    return wrapPair(native.maxDim(this.handle, dim, keepdim));
  }
  minWithIndices(dim: number, keepdim = false): [Tensor, Tensor] {
    return wrapPair(native.minDim(this.handle, dim, keepdim));
  }
  argmax(dim: number, keepdim = false): Tensor {
    return wrap(native.argmax(this.handle, dim, keepdim));
  }
  logsumexp(dims: number | number[], keepdim = false): Tensor {
    return wrap(native.logsumexp(this.handle, dimsArg(dims) ?? [], keepdim));
  }
  cumsum(dim: number): Tensor {
    return wrap(native.cumsum(this.handle, dim));
  }
  var(dims?: number | number[], opts: { unbiased?: boolean; keepdim?: boolean } = {}): Tensor {
    return wrap(native.variance(this.handle, dimsArg(dims), opts.unbiased ?? true, opts.keepdim ?? false));
  }
  norm(p = 2, dims?: number | number[], keepdim = false): Tensor {
    return wrap(native.norm(this.handle, p, dimsArg(dims), keepdim));
  }
  all(): Tensor {
    return wrap(native.all(this.handle));
  }
  any(): Tensor {
    return wrap(native.any(this.handle));
  }

  // ------------------------------------------------------------------ neural-network primitives
  softmax(dim: number): Tensor {
    return wrap(native.softmax(this.handle, dim));
  }
  logSoftmax(dim: number): Tensor {
    return wrap(native.logSoftmax(this.handle, dim));
  }
  matmul(o: Tensor): Tensor {
    return wrap(native.matmul(this.handle, o.handle));
  }
  bmm(o: Tensor): Tensor {
    return wrap(native.bmm(this.handle, o.handle));
  }
  gather(dim: number, index: Tensor): Tensor {
    return wrap(native.gather(this.handle, dim, index.handle));
  }
  indexSelect(dim: number, index: Tensor): Tensor {
    return wrap(native.indexSelect(this.handle, dim, index.handle));
  }
  scatter(dim: number, index: Tensor, src: Tensor): Tensor {
    return wrap(native.scatter(this.handle, dim, index.handle, src.handle));
  }
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    return wrap(native.scatterAdd(this.handle, dim, index.handle, src.handle));
  }
  topk(k: number, dim = -1, opts: { largest?: boolean; sorted?: boolean } = {}): [Tensor, Tensor] {
    return wrapPair(native.topk(this.handle, k, dim, opts.largest ?? true, opts.sorted ?? true));
  }
  sort(dim = -1, descending = false): [Tensor, Tensor] {
    return wrapPair(native.sort(this.handle, dim, descending));
  }

  // ------------------------------------------------------------------ shape
  view(...shape: number[]): Tensor {
    return wrap(native.view(this.handle, shape));
  }
  reshape(...shape: number[]): Tensor {
    return wrap(native.reshape(this.handle, shape));
  }
  permute(...dims: number[]): Tensor {
    return wrap(native.permute(this.handle, dims));
  }
  transpose(d0: number, d1: number): Tensor {
    return wrap(native.transpose(this.handle, d0, d1));
  }
  expand(...shape: number[]): Tensor {
    return wrap(native.expand(this.handle, shape));
  }
  unsqueeze(dim: number): Tensor {
    return wrap(native.unsqueeze(this.handle, dim));
  }
  squeeze(dim?: number): Tensor {
    return wrap(native.squeeze(this.handle, dim ?? null));
  }
  flatten(start = 0, end = -1): Tensor {
    return wrap(native.flatten(this.handle, start, end));
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return wrap(native.narrow(this.handle, dim, start, length));
  }
  /** Elements start ≤ i < end (step) along dim; negative indices count from the end. */
  slice(dim: number, start: number, end = Number.MAX_SAFE_INTEGER, step = 1): Tensor {
    return wrap(native.slice(this.handle, dim, start, end, step));
  }
  select(dim: number, index: number): Tensor {
    return wrap(native.select(this.handle, dim, index));
  }
  split(size: number | number[], dim = 0): Tensor[] {
    const hs = Array.isArray(size)
      ? native.splitSizes(this.handle, size, dim)
      : native.split(this.handle, size, dim);
    return hs.map(wrap);
  }
  chunk(n: number, dim = 0): Tensor[] {
    return native.chunk(this.handle, n, dim).map(wrap);
  }
  repeat(...reps: number[]): Tensor {
    return wrap(native.repeat(this.handle, reps));
  }
  repeatInterleave(repeats: number, dim: number): Tensor {
    return wrap(native.repeatInterleave(this.handle, repeats, dim));
  }
  flip(...dims: number[]): Tensor {
    return wrap(native.flip(this.handle, dims));
  }
  triu(k = 0): Tensor {
    return wrap(native.triu(this.handle, k));
  }
  tril(k = 0): Tensor {
    return wrap(native.tril(this.handle, k));
  }

  // ------------------------------------------------------------------ in place (never recorded by autograd)
  /** this ← src (broadcast, cast). */
  copy_(src: Tensor): this {
    native.copy_(this.handle, src.handle);
    return this;
  }
  fill_(value: Scalar): this {
    native.fill_(this.handle, value);
    return this;
  }
  /** this[…, index[i], …] ← src[…, i, …] along `dim` (index [n] int64): a static cache's write. */
  indexCopy_(dim: number, index: Tensor, src: Tensor): this {
    native.indexCopy_(this.handle, dim, index.handle, src.handle);
    return this;
  }
  mulScalar_(s: number): this {
    native.mul_(this.handle, s);
    return this;
  }
  /** this ← this + alpha·other. */
  addScaled_(other: Tensor, alpha = 1): this {
    native.add_(this.handle, other.handle, alpha);
    return this;
  }

  toString(): string {
    if (this.isDisposed) return 'Tensor(<disposed>)';
    return `Tensor(shape=[${this.shape}], dtype=${this.dtype}, device=${this.device})`;
  }
}

function dimsArg(dims: number | number[] | undefined): number[] | null {
  if (dims === undefined) return null;
  return typeof dims === 'number' ? [dims] : dims;
}
