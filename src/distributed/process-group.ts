/**
 * Process groups: collectives across the ranks of a data-parallel run, on libtorch's c10d (Gloo for
 * CPU tensors, NCCL for CUDA ones). A world of one process gets a group with the same API whose
 * collectives are identities, so single-process code needs no branches.
 *
 * Collectives return Promises and run off the JS thread (the event loop keeps running); each rank
 * must issue the same collectives in the same order on tensors of the same shape and dtype. Do not
 * write to a tensor while its collective is pending.
 */
import { native, type ProcessGroupHandle } from '../native/binding.ts';
import { isFloating, Tensor } from '../tensor/index.ts';

export type ReduceOp = 'sum' | 'avg' | 'max' | 'min';
export type Backend = 'gloo' | 'nccl' | 'local';
const REDUCE_OPS: readonly ReduceOp[] = ['sum', 'avg', 'max', 'min'];

/** A failed collective (timeout, dead or silent peer, c10d error), or a call on an unusable group. */
export class DistributedError extends Error {
  constructor(
    message: string,
    readonly collective: string,
    readonly rank: number,
    readonly worldSize: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DistributedError';
  }
}

export interface ProcessGroup {
  readonly rank: number;
  readonly worldSize: number;
  /** Rank on this host (the CUDA device index for NCCL). */
  readonly localRank: number;
  readonly backend: Backend;
  /** t ← reduce over ranks of t, in place ('avg': the sum divided by worldSize). */
  allReduce(t: Tensor, op?: ReduceOp): Promise<void>;
  /**
   * Each tensor ← its reduction over ranks, in place, before returning: one collective per tensor,
   * all in flight at once. Blocks the JS thread (for the synchronous training step, whose forward
   * and backward run on it anyway); the group's timeout bounds the wait as for {@link allReduce}.
   */
  allReduceBlocking(tensors: readonly Tensor[], op?: ReduceOp): void;
  /** t ← rank src's t, in place. */
  broadcast(t: Tensor, src?: number): Promise<void>;
  /** A new tensor [worldSize, ...t.shape] whose row r is rank r's t (owned by the caller: dispose it). */
  allGather(t: Tensor): Promise<Tensor>;
  /** Resolves once every rank has reached it. */
  barrier(): Promise<void>;
  /** Releases the group after the pending collectives; later calls throw. Idempotent. */
  destroy(): Promise<void>;
}

/** Argument checks shared by both kinds of group, so that single-process runs fail as multi-process ones would. */
abstract class GroupBase {
  protected destroyed = false;
  abstract readonly rank: number;
  abstract readonly worldSize: number;

  protected error(collective: string, message: string, cause?: unknown): DistributedError {
    return new DistributedError(
      `${collective} on rank ${this.rank} of ${this.worldSize}: ${message}`,
      collective,
      this.rank,
      this.worldSize,
      cause === undefined ? undefined : { cause },
    );
  }

  protected check(collective: string, t?: Tensor): void {
    if (this.destroyed) throw this.error(collective, 'the process group was destroyed');
    if (t !== undefined) {
      if (!(t instanceof Tensor)) throw this.error(collective, `expected a Tensor, got ${typeof t}`);
      if (t.isDisposed) throw this.error(collective, 'the tensor was disposed');
    }
  }

  protected checkOp(op: ReduceOp, t: Tensor): void {
    if (!REDUCE_OPS.includes(op))
      throw this.error('allReduce', `op must be one of ${REDUCE_OPS.join(', ')}, got "${op}"`);
    if (op === 'avg' && !isFloating(t.dtype))
      throw this.error('allReduce(avg)', `averaging needs a floating-point tensor, got ${t.dtype}`);
  }

  protected checkSrc(src: number): void {
    if (!Number.isInteger(src) || src < 0 || src >= this.worldSize)
      throw this.error('broadcast', `src must be a rank in [0, ${this.worldSize - 1}], got ${src}`);
  }
}

/** The group of a single process: every collective is an identity. */
export class SingleProcessGroup extends GroupBase implements ProcessGroup {
  readonly rank = 0;
  readonly worldSize = 1;
  readonly localRank = 0;
  readonly backend = 'local' as const;

  async allReduce(t: Tensor, op: ReduceOp = 'sum'): Promise<void> {
    this.check(`allReduce(${op})`, t);
    this.checkOp(op, t);
  }
  allReduceBlocking(tensors: readonly Tensor[], op: ReduceOp = 'sum'): void {
    for (const t of tensors) {
      this.check(`allReduce(${op})`, t);
      this.checkOp(op, t);
    }
  }
  async broadcast(t: Tensor, src = 0): Promise<void> {
    this.check('broadcast', t);
    this.checkSrc(src);
  }
  async allGather(t: Tensor): Promise<Tensor> {
    this.check('allGather', t);
    return new Tensor(native.unsqueeze(native.clone(t.handle), 0));
  }
  async barrier(): Promise<void> {
    this.check('barrier');
  }
  async destroy(): Promise<void> {
    this.destroyed = true;
  }
}

/** A c10d process group (one per process). */
export class NativeProcessGroup extends GroupBase implements ProcessGroup {
  readonly rank: number;
  readonly worldSize: number;
  readonly backend: 'gloo' | 'nccl';
  /** host:port of the rendezvous store. */
  readonly master: string;
  readonly timeoutMs: number;

  constructor(
    private readonly handle: ProcessGroupHandle,
    readonly localRank: number,
  ) {
    super();
    const info = native.distInfo(handle);
    this.rank = info.rank;
    this.worldSize = info.worldSize;
    this.backend = info.backend;
    this.master = info.master;
    this.timeoutMs = info.timeoutMs;
  }

  /** The first collective that failed (after which the group refuses new ones), or null. */
  get failure(): string | null {
    return this.destroyed ? null : native.distInfo(this.handle).failure;
  }

  /** Runs a native collective, turning its synchronous throws and its rejections into DistributedError. */
  private async run<T>(collective: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (e) {
      throw this.asDistributedError(collective, e);
    }
  }

  private asDistributedError(collective: string, e: unknown): DistributedError {
    if (e instanceof DistributedError) return e;
    // Native messages already say "<collective> [failed] on rank r of w (backend, timeout): why".
    const reason = nativeReason(e);
    if (/ on rank \d+ of \d+/.test(reason))
      return new DistributedError(reason, collective, this.rank, this.worldSize, { cause: e });
    return this.error(collective, reason, e);
  }

  allReduce(t: Tensor, op: ReduceOp = 'sum'): Promise<void> {
    const name = `allReduce(${op})`;
    return this.run(name, () => {
      this.check(name, t);
      this.checkOp(op, t);
      return native.distAllReduce(this.handle, t.handle, op);
    });
  }
  allReduceBlocking(tensors: readonly Tensor[], op: ReduceOp = 'sum'): void {
    const name = `allReduce(${op})`;
    try {
      for (const t of tensors) {
        this.check(name, t);
        this.checkOp(op, t);
      }
      native.distAllReduceBlocking(
        this.handle,
        tensors.map((t) => t.handle),
        op,
      );
    } catch (e) {
      throw this.asDistributedError(name, e);
    }
  }
  broadcast(t: Tensor, src = 0): Promise<void> {
    return this.run('broadcast', () => {
      this.check('broadcast', t);
      this.checkSrc(src);
      return native.distBroadcast(this.handle, t.handle, src);
    });
  }
  async allGather(t: Tensor): Promise<Tensor> {
    const h = await this.run('allGather', () => {
      this.check('allGather', t);
      return native.distAllGather(this.handle, t.handle);
    });
    return new Tensor(h);
  }
  barrier(): Promise<void> {
    return this.run('barrier', () => {
      this.check('barrier');
      return native.distBarrier(this.handle);
    });
  }
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    await native.distDestroy(this.handle);
  }
}

/** A native error's message without the binding's name ("distAllReduce: "), which users never call. */
function nativeReason(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.replace(/^dist[A-Za-z]+: /, '');
}
