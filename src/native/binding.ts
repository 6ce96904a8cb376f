/**
 * The bottom layer: loads the libtorch Node-API addon (build/Release/maxent_rlhf_torch.node).
 *
 * Every function takes and returns opaque handles; the typed, scoped API lives in src/tensor.
 * The thread policy is applied once at load (see loadAddon).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { addonPath, rebuildHint } from './addon-path.ts';
import { threadPolicy } from './thread-policy.ts';

/** Opaque handle to a libtorch tensor owned by the addon. */
export type Handle = { readonly __brand: 'TensorHandle' };
/** Opaque handle to a libtorch random generator. */
export type GeneratorHandle = { readonly __brand: 'GeneratorHandle' };
/** Opaque handle to a c10d process group (native/src/distributed.cc). */
export type ProcessGroupHandle = { readonly __brand: 'ProcessGroupHandle' };
/** Opaque handle to a recorded step: a traced TorchScript graph (native/src/generate.cc). */
export type RecordedStepHandle = { readonly __brand: 'RecordedStepHandle' };

/** What distInit needs: the rendezvous (a TCPStore on masterAddr:masterPort, served by rank 0). */
export interface NativeDistInit {
  backend: 'gloo' | 'nccl';
  masterAddr: string;
  /** 0 (rank 0 only): any free port, see distInfo().master. */
  masterPort: number;
  rank: number;
  worldSize: number;
  /** Each collective fails after this long. */
  timeoutMs: number;
  /** Waiting for every rank to join fails after this long. */
  initTimeoutMs: number;
  /** Gloo: bind this host's address for rank-to-rank traffic (else interfaces, else the hostname's). */
  deviceHost?: string | null;
  /** Gloo: network interfaces to use (GLOO_SOCKET_IFNAME). */
  interfaces?: string[] | null;
}

export interface NativeDistInfo {
  rank: number;
  worldSize: number;
  backend: 'gloo' | 'nccl';
  /** host:port of the store (the actual port when masterPort was 0). */
  master: string;
  timeoutMs: number;
  /** The first failed collective, after which the group refuses new ones; null while healthy. */
  failure: string | null;
}

type H = Handle;
type Num = H | number | boolean;
type Gen = GeneratorHandle | null;

/** Elementwise binary ops: the second operand is a tensor or a number (broadcast, torch promotion). */
export const BINARY_OPS = [
  'add',
  'sub',
  'mul',
  'div',
  'pow',
  'remainder',
  'minimum',
  'maximum',
  'eq',
  'ne',
  'lt',
  'le',
  'gt',
  'ge',
  'logicalAnd',
  'logicalOr',
] as const;
export type BinaryOp = (typeof BINARY_OPS)[number];
/** Elementwise unary ops. */
export const UNARY_OPS = [
  'neg',
  'exp',
  'log',
  'log1p',
  'expm1',
  'tanh',
  'sigmoid',
  'logSigmoid',
  'relu',
  'sqrt',
  'rsqrt',
  'abs',
  'sign',
  'square',
  'reciprocal',
  'sin',
  'cos',
  'floor',
  'erf',
  'logicalNot',
  'isnan',
  'isfinite',
] as const;
export type UnaryOp = (typeof UNARY_OPS)[number];

/** The addon's exports. Argument order mirrors native/src/*.cc. */
export type NativeBinding = NativeCore & Record<BinaryOp, (a: H, b: Num) => H> & Record<UnaryOp, (a: H) => H>;

interface NativeCore {
  fromData(data: ArrayBufferView, shape: number[], dtype: number, device: string): H;
  toData(t: H): ArrayBuffer;
  dataView(t: H): ArrayBuffer;
  full(shape: number[], value: number | boolean, dtype: number, device: string): H;
  arange(start: number, end: number, step: number, dtype: number, device: string): H;
  randn(shape: number[], gen: Gen, dtype: number, device: string): H;
  rand(shape: number[], gen: Gen, dtype: number, device: string): H;
  randint(low: number, high: number, shape: number[], gen: Gen, dtype: number, device: string): H;
  randperm(n: number, gen: Gen, dtype: number, device: string): H;
  normal_(t: H, mean: number, std: number, gen: Gen): void;
  uniform_(t: H, from: number, to: number, gen: Gen): void;
  makeGenerator(seed: number, device: string): GeneratorHandle;
  generatorGetState(g: GeneratorHandle): H;
  generatorSetState(g: GeneratorHandle, state: H): void;
  manualSeed(seed: number): void;
  shape(t: H): number[];
  dtype(t: H): number;
  device(t: H): string;
  item(t: H): number | boolean;
  dispose(t: H): void;
  liveTensors(): number;
  requiresGrad(t: H): boolean;
  setRequiresGrad(t: H, on: boolean): void;
  grad(t: H): H | null;
  setGrad(t: H, g: H | null): void;
  backward(t: H, grad: H | null, retainGraph: boolean): void;
  isGradEnabled(): boolean;
  setGradEnabled(on: boolean): void;
  detach(t: H): H;
  clone(t: H): H;
  contiguous(t: H): H;
  to(t: H, dtype: number | null, device: string | null): H;
  equal(a: H, b: H): boolean;
  rsub(t: H, s: number): H;
  gelu(t: H, approximate: 'none' | 'tanh'): H;
  softplus(t: H, beta: number, threshold: number): H;
  clamp(t: H, min: number | null, max: number | null): H;
  where(cond: H, a: Num, b: Num): H;
  maskedFill(t: H, mask: H, value: number | boolean): H;
  sum(t: H, dims: number[] | null, keepdim: boolean): H;
  mean(t: H, dims: number[] | null, keepdim: boolean): H;
  amax(t: H, dims: number[], keepdim: boolean): H;
  amin(t: H, dims: number[], keepdim: boolean): H;
  maxDim(t: H, dim: number, keepdim: boolean): [H, H];
  minDim(t: H, dim: number, keepdim: boolean): [H, H];
  maxAll(t: H): H;
  minAll(t: H): H;
  argmax(t: H, dim: number, keepdim: boolean): H;
  logsumexp(t: H, dims: number[], keepdim: boolean): H;
  cumsum(t: H, dim: number): H;
  variance(t: H, dims: number[] | null, unbiased: boolean, keepdim: boolean): H;
  norm(t: H, p: number, dims: number[] | null, keepdim: boolean): H;
  all(t: H): H;
  any(t: H): H;
  softmax(t: H, dim: number): H;
  logSoftmax(t: H, dim: number): H;
  layerNorm(t: H, shape: number[], weight: H | null, bias: H | null, eps: number): H;
  matmul(a: H, b: H): H;
  bmm(a: H, b: H): H;
  linear(x: H, w: H, b: H | null): H;
  embedding(w: H, idx: H): H;
  crossEntropy(logits: H, target: H, ignoreIndex: number, reduction: number): H;
  /** Fused log-softmax + gather + entropy (native/src/token-scores.cc): [logProb, entropy, logNormalizer]. */
  tokenScores(logits: H, targets: H): H[];
  dropout(t: H, p: number, gen: Gen): H;
  attention(q: H, k: H, v: H, mask: H | null, causal: boolean): H;
  gather(t: H, dim: number, idx: H): H;
  indexSelect(t: H, dim: number, idx: H): H;
  scatter(t: H, dim: number, idx: H, src: H): H;
  scatterAdd(t: H, dim: number, idx: H, src: H): H;
  multinomial(probs: H, n: number, replacement: boolean, gen: Gen): H;
  topk(t: H, k: number, dim: number, largest: boolean, sorted: boolean): [H, H];
  sort(t: H, dim: number, descending: boolean): [H, H];
  cat(ts: H[], dim: number): H;
  stack(ts: H[], dim: number): H;
  split(t: H, size: number, dim: number): H[];
  splitSizes(t: H, sizes: number[], dim: number): H[];
  chunk(t: H, n: number, dim: number): H[];
  narrow(t: H, dim: number, start: number, length: number): H;
  slice(t: H, dim: number, start: number, end: number, step: number): H;
  select(t: H, dim: number, index: number): H;
  view(t: H, shape: number[]): H;
  reshape(t: H, shape: number[]): H;
  permute(t: H, dims: number[]): H;
  transpose(t: H, d0: number, d1: number): H;
  expand(t: H, shape: number[]): H;
  unsqueeze(t: H, dim: number): H;
  squeeze(t: H, dim: number | null): H;
  flatten(t: H, start: number, end: number): H;
  repeat(t: H, reps: number[]): H;
  repeatInterleave(t: H, repeats: number, dim: number): H;
  flip(t: H, dims: number[]): H;
  triu(t: H, k: number): H;
  tril(t: H, k: number): H;
  copy_(dst: H, src: H): void;
  fill_(t: H, value: number | boolean): void;
  mul_(t: H, s: number): void;
  add_(t: H, other: H, alpha: number): void;
  /** In place: t's slices at index [n] (int64) along dim become src's. */
  indexCopy_(t: H, dim: number, index: H, src: H): void;
  // Recorded steps (native/src/generate.cc): the ATen ops run between traceBegin and traceEnd on
  // this thread become a graph over `inputs` returning `outputs`, replayed without JavaScript.
  traceBegin(inputs: H[]): void;
  traceEnd(outputs: H[]): RecordedStepHandle;
  /** Closes an open trace without a result (a no-op when none is open). */
  traceAbandon(): void;
  traceGraph(step: RecordedStepHandle): string;
  disposeProgram(step: RecordedStepHandle): void;
  runStep(step: RecordedStepHandle, inputs: H[]): H[];
  /**
   * Replays `step` (inputs [carried…, fixed…], outputs [carried'…, collected…, stop]) up to maxSteps
   * times, reading the stop flag every checkEvery steps; collected outputs stacked along stackDim.
   */
  runDecodeLoop(
    step: RecordedStepHandle,
    carried: H[],
    fixed: H[],
    maxSteps: number,
    checkEvery: number,
    stackDim: number,
  ): { carried: H[]; collected: H[]; steps: number };
  adamwStep(
    params: H[],
    expAvg: H[],
    expAvgSq: H[],
    steps: number[],
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
  ): number[];
  clipGradNorm(params: H[], maxNorm: number): number;
  zeroGrad(params: H[]): void;
  gradsFinite(params: H[]): boolean;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  setBlasThreads(n: number): boolean;
  retainFreedMemory(): boolean;
  /** Puts a counting allocator in front of libtorch's CPU allocator (native/src/runtime.cc); true once it is. */
  trackHostMemory(): boolean;
  /** Bytes the counting allocator holds for tensors now, and their high-water mark; zeros until tracked. */
  hostMemoryStats(): { tracked: boolean; current: number; peak: number };
  resetHostMemoryPeak(): void;
  info(): NativeInfo;
  /** The name → tensor dict of a torch.save zip archive (native/src/pickle.cc), CPU, file dtypes. */
  readTorchZip(path: string): { names: string[]; tensors: H[] };
  /** Backends compiled in: [] (no Gloo headers at build time), ['gloo'] or ['gloo', 'nccl']. */
  distBackends(): string[];
  // The rest exist only when distBackends() is non-empty. Collectives are queued in call order and
  // settle off the JS thread; they reject with an Error naming the collective, rank and world size.
  distInit(opts: NativeDistInit): Promise<ProcessGroupHandle>;
  distInfo(pg: ProcessGroupHandle): NativeDistInfo;
  /** In place; 'avg' is a sum divided by the world size. */
  distAllReduce(pg: ProcessGroupHandle, t: H, op: 'sum' | 'avg' | 'max' | 'min'): Promise<void>;
  /**
   * Each tensor reduced in place before it returns (blocks the JS thread; bounded by the group's
   * timeout). Ordered with the queued collectives; a failure throws and makes the group unusable.
   */
  distAllReduceBlocking(pg: ProcessGroupHandle, ts: H[], op: 'sum' | 'avg' | 'max' | 'min'): void;
  distBroadcast(pg: ProcessGroupHandle, t: H, src: number): Promise<void>;
  /** A new tensor [worldSize, ...shape]; row r is rank r's. */
  distAllGather(pg: ProcessGroupHandle, t: H): Promise<H>;
  distBarrier(pg: ProcessGroupHandle): Promise<void>;
  /** Settles after the queued collectives; the handle is unusable afterwards. */
  distDestroy(pg: ProcessGroupHandle): Promise<void>;
}

export interface NativeInfo {
  /** TORCH_VERSION of the headers the addon was compiled against. */
  torchVersion: string;
  /** The C++ standard the addon was compiled as (17, 20). */
  cxxStandard: number;
  cudaAvailable: boolean;
  cudaDevices: number;
  mklAvailable: boolean;
  mkldnnAvailable: boolean;
  openblasSymbol: boolean;
  numThreads: number;
  numInteropThreads: number;
  buildConfig: string;
  parallelInfo: string;
  /** runDecodeLoop can capture the decode step in a CUDA graph (a CUDA build; MAXENT_CUDA_GRAPHS=1 enables it). */
  cudaGraphsBuilt: boolean;
  /** Decode steps replayed from a CUDA graph in this process so far. */
  cudaGraphSteps: number;
}

function loadAddon(): NativeBinding {
  const path = addonPath();
  if (!existsSync(path)) {
    throw new Error(
      `maxent-rlhf: the libtorch addon is not built (${path} missing). Run ${rebuildHint()}; \`npx maxent-rlhf doctor\` says what is missing.`,
    );
  }
  let addon: NativeBinding;
  try {
    addon = createRequire(import.meta.url)(path) as NativeBinding;
  } catch (e) {
    throw new Error(
      `maxent-rlhf: the libtorch addon ${path} does not load (${(e as Error).message.split('\n')[0]}). Rebuild it with ${rebuildHint()}; \`npx maxent-rlhf doctor\` checks the set-up.`,
    );
  }
  // Thread policy (thread-policy.ts, measured in bench/threads.ts): on OpenBLAS torch's intra-op
  // pool gets 1 thread and OpenBLAS its own pool; on MKL (whose GEMMs run on the intra-op pool) the
  // pool gets every core. MAXENT_THREADS overrides. Setting it explicitly also matters: left
  // implicit, GEMM ran at half speed here.
  addon.setNumThreads(threadPolicy(addon.info(), process.env, availableParallelism()).intraOp);
  // Memory policy (measured in bench/model.ts): freed tensor memory stays in the process (glibc: no
  // mmap for large blocks, no trimming), so large tensors reuse pages instead of faulting in fresh
  // ones at every op: a pythia-tiny training step ran 3–5× faster. MAXENT_MALLOC=system opts out.
  if (process.env.MAXENT_MALLOC !== 'system') addon.retainFreedMemory();
  return addon;
}

/** The process-wide addon instance. */
export const native: NativeBinding = loadAddon();
