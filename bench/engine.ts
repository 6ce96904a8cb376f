/**
 * Engine benchmark, side by side with eager PyTorch (Debian's python3-torch) in the same run:
 * matmul GFLOP/s, per-op call overhead, and a transformer-shaped forward+backward+AdamW step.
 * Ratios are ours/PyTorch for throughput (higher is better) and PyTorch/ours for times. PyTorch runs
 * with the addon's malloc policy (RETAIN_FREED_MEMORY_ENV), as in bench/model.ts.
 */

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AdamW,
  attention,
  crossEntropy,
  embedding,
  Generator,
  getNumThreads,
  keep,
  layerNorm,
  linear,
  noGrad,
  ones,
  randint,
  randn,
  type Tensor,
  tidy,
  tokenScores,
  zeros,
} from '../src/tensor/index.ts';
import { bestTime, pythonTorch } from './harness.ts';
import { RETAIN_FREED_MEMORY_ENV } from './model-python.ts';

export interface BlockConfig {
  batch: number;
  seq: number;
  hidden: number;
  heads: number;
  layers: number;
  vocab: number;
  repeats: number;
}

export const BLOCKS: Record<string, BlockConfig> = {
  // ≈3.4M parameters: the size of the first addon proof in the project brief.
  'gpt-3.4M': { batch: 8, seq: 64, hidden: 256, heads: 4, layers: 4, vocab: 512, repeats: 5 },
};
const SIZES = [256, 512, 1024, 2048];

/**
 * Runs per matmul size: about the same total time for every size (≈ 5 runs of 2048²). A 256² product
 * takes ≈ 0.2 ms, and the best of 5 such runs on a shared machine measured the load more than the
 * code: 4–155 GFLOP/s between runs on either side with OpenBLAS's two threads, while with enough
 * runs (or one OpenBLAS thread) both sides agree. bench/engine.py uses the same counts.
 */
export function matmulRepeats(n: number): number {
  return Math.ceil(5 * (2048 / n) ** 2);
}

function matmulGflops(n: number): number {
  return tidy(() => {
    const a = randn([n, n]);
    const b = randn([n, n]);
    const t = bestTime(() => tidy(() => void a.matmul(b)), matmulRepeats(n));
    return (2 * n ** 3) / t / 1e9;
  });
}

function opOverheadUs(count = 20000): number {
  const x = ones([4]);
  const t = bestTime(() => {
    for (let i = 0; i < count; i++) x.add(1).dispose();
  }, 3);
  x.dispose();
  return (t / count) * 1e6;
}

/** The same GPT-shaped step as bench/engine.py's block_step_ms, op for op. */
export function blockStepMs(cfg: BlockConfig, fusedAttention: boolean): number {
  const { batch: B, seq: T, hidden: C, heads: H, layers: L, vocab: V } = cfg;
  const D = C / H;
  const g = new Generator(0);
  const p = (shape: number[], std: number) => keep(randn(shape, g).mul(std).requiresGrad_());
  const z = (shape: number[]) => keep(zeros(shape).requiresGrad_());
  const o = (shape: number[]) => keep(ones(shape).requiresGrad_());
  const emb = p([V, C], 0.02);
  const out = p([V, C], 0.02);
  const layers = Array.from({ length: L }, () => ({
    lnw: o([C]),
    lnb: z([C]),
    qkv: p([3 * C, C], 0.02),
    qkvb: z([3 * C]),
    o: p([C, C], 0.02),
    ob: z([C]),
    up: p([4 * C, C], 0.02),
    upb: z([4 * C]),
    dn: p([C, 4 * C], 0.02),
    dnb: z([C]),
  }));
  const params = [emb, out, ...layers.flatMap((l) => Object.values(l))];
  const opt = new AdamW(params, { lr: 1e-4 });
  const idx = keep(randint(0, V, [B, T], g));
  const causal = keep(ones([T, T], { dtype: 'bool' }).tril().logicalNot());
  const targets = keep(idx.slice(1, 1).reshape(-1));

  const step = () =>
    tidy(() => {
      let x: Tensor = embedding(emb, idx);
      for (const l of layers) {
        const h = layerNorm(x, [C], l.lnw, l.lnb);
        const qkv = linear(h, l.qkv, l.qkvb)
          .view(B, T, H, 3 * D)
          .permute(0, 2, 1, 3);
        const [q, k, v] = qkv.split(D, -1) as [Tensor, Tensor, Tensor];
        let y: Tensor;
        if (fusedAttention) y = attention(q, k, v, { causal: true });
        else {
          const att = q
            .matmul(k.transpose(-2, -1))
            .mul(1 / Math.sqrt(D))
            .maskedFill(causal, Number.NEGATIVE_INFINITY)
            .softmax(-1);
          y = att.matmul(v);
        }
        const a = linear(y.permute(0, 2, 1, 3).reshape(B, T, C), l.o, l.ob);
        const m = linear(linear(h, l.up, l.upb).gelu(), l.dn, l.dnb);
        x = x.add(a).add(m);
      }
      const logits = linear(x, out)
        .slice(1, 0, T - 1)
        .reshape(-1, V);
      const loss = crossEntropy(logits, targets);
      opt.zeroGrad();
      loss.backward();
      opt.step();
    });
  const t = bestTime(step, cfg.repeats);
  opt.dispose();
  for (const t2 of [...params, idx, causal, targets]) t2.dispose();
  return t * 1e3;
}

/**
 * Token scoring (the target's log-prob and the entropy from logits [rows, V]) at a decode step's
 * shape (16 rows of the Pythia vocabulary, no grad) and a scoring pass's (16 × 32 response tokens,
 * forward and backward): the fused op (tokenScores, native/src/token-scores.cc) and the previous
 * chain of ATen ops (logsumexp, gather, softmax, mul, sum), against eager PyTorch's log_softmax +
 * gather + exp·logp.
 */
export const TOKEN_SCORE_CASES = [
  { name: 'decode step [16, 50304]', rows: 16, vocab: 50304, backward: false, repeats: 40 },
  { name: 'scoring pass [512, 50304] fwd+bwd', rows: 512, vocab: 50304, backward: true, repeats: 8 },
];

function tokenScoresMs(c: (typeof TOKEN_SCORE_CASES)[number], fused: boolean): number {
  const g = new Generator(0);
  const logits = keep(randn([c.rows, c.vocab], g).mul(3).requiresGrad_(c.backward));
  const targets = keep(randint(0, c.vocab, [c.rows], g));
  const step = () =>
    tidy(() => {
      const run = () => {
        let logProb: Tensor;
        let entropy: Tensor;
        if (fused) ({ logProb, entropy } = tokenScores(logits, targets));
        else {
          const lse = logits.logsumexp(-1);
          logProb = logits.gather(-1, targets.unsqueeze(-1)).squeeze(-1).sub(lse);
          entropy = lse.sub(logits.softmax(-1).mul(logits).sum(-1));
        }
        if (c.backward) {
          logits.grad = null;
          logProb.sum().add(entropy.sum().mul(0.01)).backward();
        }
      };
      if (c.backward) run();
      else noGrad(run);
    });
  const t = bestTime(step, c.repeats);
  logits.dispose();
  targets.dispose();
  return t * 1e3;
}

export interface EngineResult {
  name: string;
  ours: number;
  torch: number;
  unit: string;
  /** > 1 means we are faster. */
  speedup: number;
}

export function runEngineBench(): EngineResult[] {
  const threads = getNumThreads();
  // PyTorch with the addon's malloc policy (freed memory kept in the process), as in bench/model.ts:
  // the ratios compare the code, not an allocator setting (it matters for the [512, 50304] tensors).
  const py = pythonTorch(
    join(dirname(fileURLToPath(import.meta.url)), 'engine.py'),
    { threads, sizes: SIZES, blocks: BLOCKS, token_scores: TOKEN_SCORE_CASES },
    RETAIN_FREED_MEMORY_ENV,
  ) as {
    matmul: Record<string, number>;
    op_overhead_us: number;
    block: Record<string, number>;
    token_scores: Record<string, number>;
  };
  const rows: EngineResult[] = [];
  for (const n of SIZES) {
    const ours = matmulGflops(n);
    const torch = py.matmul[String(n)]!;
    rows.push({ name: `matmul ${n}x${n}`, ours, torch, unit: 'GFLOP/s', speedup: ours / torch });
  }
  const ov = opOverheadUs();
  rows.push({
    name: 'op call overhead (add, 4 elems)',
    ours: ov,
    torch: py.op_overhead_us,
    unit: 'µs',
    speedup: py.op_overhead_us / ov,
  });
  for (const [name, cfg] of Object.entries(BLOCKS)) {
    const ours = blockStepMs(cfg, false);
    rows.push({
      name: `${name} train step`,
      ours,
      torch: py.block[name]!,
      unit: 'ms',
      speedup: py.block[name]! / ours,
    });
    const fused = blockStepMs(cfg, true);
    rows.push({
      name: `${name} train step (fused attention op)`,
      ours: fused,
      torch: py.block[name]!,
      unit: 'ms',
      speedup: py.block[name]! / fused,
    });
  }
  for (const c of TOKEN_SCORE_CASES) {
    const torch = py.token_scores[c.name]!;
    for (const fused of [true, false]) {
      const ours = tokenScoresMs(c, fused);
      rows.push({
        name: `token scores, ${c.name}, ${fused ? 'fused op' : 'ATen chain (before)'}`,
        ours,
        torch,
        unit: 'ms',
        speedup: torch / ours,
      });
    }
  }
  return rows;
}
