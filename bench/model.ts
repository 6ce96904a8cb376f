/**
 * GPT-NeoX model benchmark, side by side with eager PyTorch (Debian's python3-torch) in the same run
 * and on the same model: our GPTNeoXForCausalLM is initialised, saved as a safetensors snapshot in a
 * temp folder, and bench/model.py loads that snapshot into its own eager GPT-NeoX, with the same
 * inputs (written next to it), the same thread count and the same OpenBLAS environment. The
 * first-step losses and the tokens sampled with the same seed are printed as a check that both
 * sides run the same model.
 *
 * Per model: a training step (forward, cross-entropy, backward, AdamW) on a TL;DR-sized batch, and
 * batched temperature-1 sampling of left-padded prompts with our `generate` (static KV cache, one
 * native decode loop: docs/generation.md), against the usual naive eager PyTorch loop (the whole
 * growing sequence through the model every step, all logits), a PyTorch loop whose KV cache grows by
 * cat, and a PyTorch loop over a preallocated (static) KV cache written in place — the best eager
 * code, and the anchor of the targets. Our previous loop (`decoder: 'eager'`: one JavaScript round
 * trip per token, a cache grown by cat) is timed beside them as "before". Our `generate` also
 * returns per-token entropies and the sampled distribution's log-probs; the PyTorch loops compute
 * only the sampled tokens' log-probs. For the pythia-70m shape the table also gives the sampling
 * time's fraction of its roofline (see roofline()).
 *
 * PyTorch runs with the addon's malloc policy (freed memory kept in the process, see
 * src/native/binding.ts) so that the ratios compare the code, not an allocator setting; the train
 * step is also shown against PyTorch with glibc's defaults, as installed. The measurements
 * alternate in short rounds between a long-lived Python process and this one (load on a shared
 * machine drifts), and each side reports its best time.
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  countParameters,
  type Generation,
  type GPTNeoXConfig,
  GPTNeoXForCausalLM,
  generate,
  initStateDict,
  namedConfig,
} from '../src/models/index.ts';
import {
  AdamW,
  crossEntropy,
  dispose,
  Generator,
  getNumThreads,
  keep,
  ones,
  randint,
  randn,
  type Tensor,
  tensor,
  tidy,
} from '../src/tensor/index.ts';
import type { EngineResult } from './engine.ts';
import { bestTime, bestTimes } from './harness.ts';
import { PythonServer, RETAIN_FREED_MEMORY_ENV } from './model-python.ts';

export interface ModelBenchSpec {
  label: string;
  config: GPTNeoXConfig;
  /** null: sampling only (the pythia-70m shape: its train step is bench/online.ts's update). */
  train: { batch: number; seq: number; repeats: number } | null;
  sample: {
    prompts: number;
    /** Rows are left-padded prompts of lengths spread over [minPromptLen, promptLen]. */
    promptLen: number;
    minPromptLen: number;
    newTokens: number;
    seed: number;
    repeats: number;
    /** Rounds that also time PyTorch's naive loop once (it is slow). */
    naiveRounds: number;
  };
  /** Alternating rounds of PyTorch's and our measurements; each side reports its best run. */
  rounds: number;
}

const SAMPLE = { prompts: 16, promptLen: 64, minPromptLen: 48, newTokens: 32, seed: 1234 };

export const MODEL_BENCHES: ModelBenchSpec[] = [
  {
    label: 'pythia-tiny',
    // hidden 64, 2 layers × 4 heads, vocabulary of a small BPE tokenizer.
    config: namedConfig('pythia-tiny', 8192),
    train: { batch: 8, seq: 128, repeats: 4 },
    sample: { ...SAMPLE, repeats: 3, naiveRounds: 2 },
    rounds: 3,
  },
  {
    label: 'neox-20m',
    // ≈20.1M parameters: hidden 384, 6 layers × 6 heads (head dim 64), MLP 1536, vocabulary 12288.
    config: {
      ...namedConfig('pythia-small', 12288),
      hiddenSize: 384,
      numAttentionHeads: 6,
      intermediateSize: 1536,
    },
    train: { batch: 8, seq: 128, repeats: 2 },
    sample: { ...SAMPLE, repeats: 2, naiveRounds: 1 },
    rounds: 3,
  },
  {
    label: 'pythia-70m',
    // The real pythia-70m shape: hidden 512, 6 layers × 8 heads, vocabulary 50304 (≈70M parameters).
    config: namedConfig('pythia-70m', 50304),
    train: null,
    sample: { ...SAMPLE, repeats: 2, naiveRounds: 0 },
    rounds: 2,
  },
];

interface Prepared {
  spec: ModelBenchSpec;
  dir: string;
  model: GPTNeoXForCausalLM;
  trainIds: Tensor;
  promptIds: Tensor;
  promptMask: Tensor;
}

/** Left-padded random prompts [B, P] (pad 0, tokens in [1, V)) with lengths in [minLen, P]. */
function makePrompts(
  s: ModelBenchSpec['sample'],
  vocab: number,
  gen: Generator,
): { ids: Tensor; mask: Tensor } {
  const lengths = randint(s.minPromptLen, s.promptLen + 1, [s.prompts], gen).toArray();
  const tokens = randint(1, vocab, [s.prompts, s.promptLen], gen).toArray();
  const ids: number[][] = [];
  const mask: number[][] = [];
  lengths.forEach((len, b) => {
    const pad = s.promptLen - len;
    ids.push(tokens.slice(b * s.promptLen, (b + 1) * s.promptLen).map((t, j) => (j < pad ? 0 : t)));
    mask.push(ids[b]!.map((_, j) => (j < pad ? 0 : 1)));
  });
  return { ids: tensor(ids, { dtype: 'int64' }), mask: tensor(mask, { dtype: 'int64' }) };
}

async function prepare(spec: ModelBenchSpec, root: string): Promise<Prepared> {
  const dir = join(root, spec.label);
  const gen = new Generator(0);
  const model = new GPTNeoXForCausalLM(spec.config, initStateDict(spec.config, 'causal-lm', gen));
  await model.save(dir);
  const V = spec.config.vocabSize;
  const { trainIds, promptIds, promptMask } = tidy(() => {
    const p = makePrompts(spec.sample, V, gen);
    return {
      // Without a train step, a token pair (bench/model.py builds its trainer from them, unused).
      trainIds: keep(randint(0, V, spec.train ? [spec.train.batch, spec.train.seq] : [1, 2], gen)),
      promptIds: keep(p.ids),
      promptMask: keep(p.mask),
    };
  });
  const inputs = {
    train_ids: toRows(trainIds),
    prompt_ids: toRows(promptIds),
    prompt_mask: toRows(promptMask),
  };
  await writeFile(join(dir, 'inputs.json'), JSON.stringify(inputs));
  return { spec, dir, model, trainIds, promptIds, promptMask };
}

function toRows(t: Tensor): number[][] {
  const [rows, cols] = t.shape as [number, number];
  const flat = t.toArray();
  return Array.from({ length: rows }, (_, r) => flat.slice(r * cols, (r + 1) * cols));
}

/** Our sampling of the benchmark prompts (a fresh seeded generator per run). */
function sampleOnce(p: Prepared, decoder: 'native' | 'eager' = 'native'): Generation {
  const s = p.spec.sample;
  return generate(
    p.model,
    { ids: p.promptIds, mask: p.promptMask },
    // eosId −1 never matches: every row samples exactly newTokens tokens, as on the PyTorch side.
    {
      maxNewTokens: s.newTokens,
      eosId: -1,
      padId: 0,
      temperature: 1,
      gen: new Generator(s.seed),
      decoder,
    },
  );
}

/** This machine's matmul rate (GFLOP/s, 1024² float32) and copy bandwidth (GB/s, read + write). */
export function machineRates(): { gflops: number; gbps: number } {
  return tidy(() => {
    const a = randn([1024, 1024]);
    const b = randn([1024, 1024]);
    const tm = bestTime(() => tidy(() => void a.matmul(b)), 5);
    const src = randn([64 << 20]);
    const dst = randn([64 << 20]);
    const tc = bestTime(() => dst.copy_(src), 5);
    return { gflops: (2 * 1024 ** 3) / tm / 1e9, gbps: (2 * 4 * (64 << 20)) / tc / 1e9 };
  });
}

/**
 * The physical limit of sampling B rows of P prompt + N new tokens (float32): per phase, the larger
 * of its matmul time at the measured rate and its weight and cache streaming time at the measured
 * bandwidth. Prefill: every non-embedding weight over B·P positions, attention scores and values,
 * the LM head at the last position. Each decode step: the non-embedding weights and the LM head
 * read once (B rows at a time), the filled cache read, B·(weights) multiply-adds.
 */
export function roofline(
  c: GPTNeoXConfig,
  B: number,
  P: number,
  N: number,
  rates: { gflops: number; gbps: number },
): { seconds: number; prefill: number; decode: number } {
  const h = c.hiddenSize;
  const perLayer = 4 * h * h + 2 * h * c.intermediateSize; // QKV, dense, MLP up and down
  const body = c.numHiddenLayers * perLayer;
  const head = c.vocabSize * h;
  const flops = (f: number) => f / (rates.gflops * 1e9);
  const bytes = (b: number) => b / (rates.gbps * 1e9);
  const attnFlops = (q: number, k: number) => c.numHiddenLayers * 2 * 2 * B * q * k * h;
  const prefill = Math.max(
    flops(2 * body * B * P + attnFlops(P, P) / 2 + 2 * head * B),
    bytes(4 * (body + head) + 2 * c.numHiddenLayers * B * P * h * 4),
  );
  let decode = 0;
  for (let t = 1; t < N; t++) {
    const filled = P + t;
    const cache = 2 * c.numHiddenLayers * B * filled * h * 4;
    decode += Math.max(flops(2 * (body + head) * B + attnFlops(1, filled)), bytes(4 * (body + head) + cache));
  }
  return { seconds: prefill + decode, prefill, decode };
}

/** Forward + cross-entropy + backward + AdamW on the whole batch, as bench/model.py's Trainer. */
class Trainer {
  private readonly opt: AdamW;
  private readonly mask: Tensor;
  private readonly targets: Tensor;
  firstLoss: number | null = null;

  constructor(private readonly p: Prepared) {
    const [B, T] = p.trainIds.shape as [number, number];
    // generate() runs under noGrad, so the parameters can stay trainable throughout.
    p.model.setTrainable(true);
    this.opt = new AdamW([...p.model.parameters().values()], { lr: 1e-4, weightDecay: 0.01 });
    this.mask = keep(ones([B, T], { dtype: 'int64' }));
    this.targets = keep(p.trainIds.slice(1, 1).reshape(-1));
  }

  step(): void {
    const { model, trainIds: ids } = this.p;
    const T = ids.dim(1);
    const V = this.p.spec.config.vocabSize;
    const loss = tidy(() => {
      const { logits } = model.forward(ids, { attentionMask: this.mask });
      const l = crossEntropy(logits.slice(1, 0, T - 1).reshape(-1, V), this.targets);
      this.opt.zeroGrad();
      l.backward();
      this.opt.step();
      return l.item();
    });
    this.firstLoss ??= loss;
  }

  dispose(): void {
    this.opt.zeroGrad();
    this.opt.dispose();
    dispose([this.mask, this.targets]);
  }
}

function agreement(a: number[][], b: number[][]): string {
  let same = 0;
  let total = 0;
  for (const [r, row] of a.entries()) {
    for (const [c, t] of row.entries()) {
      total += 1;
      if (b[r]?.[c] === t) same += 1;
    }
  }
  return `${same}/${total}`;
}

export interface ModelBenchOutput {
  rows: EngineResult[];
  notes: string[];
}

interface Best {
  ours: number;
  torch: number;
}

/** Alternating rounds: PyTorch then ours for each measurement; the best time of each side. */
async function measure(p: Prepared, py: PythonServer, pyDefault: PythonServer | null) {
  const { spec } = p;
  const s = spec.sample;
  const name = spec.label;
  const sampleCmd = { op: 'sample', name, new_tokens: s.newTokens, seed: s.seed };
  const trainer = spec.train ? new Trainer(p) : null;
  const sampling: Best = { ours: Infinity, torch: Infinity };
  let eager = Infinity;
  let torchStatic = Infinity;
  // CPU seconds (all threads) of our native loop, our eager loop and PyTorch's static-cache loop.
  const cpu = { ours: Infinity, eager: Infinity, torchStatic: Infinity };
  const training: Best = { ours: Infinity, torch: Infinity };
  let naive = Infinity;
  let trainDefault = Infinity;
  let pyFirstLoss = Number.NaN;
  try {
    for (let r = 0; r < spec.rounds; r++) {
      const warmup = r === 0 ? 1 : 0;
      const cached = await py.call<{ seconds: number }>({
        ...sampleCmd,
        cached: true,
        repeats: s.repeats,
        warmup,
      });
      sampling.torch = Math.min(sampling.torch, cached.seconds);
      const staticRun = await py.call<{ seconds: number; cpu_seconds: number }>({
        ...sampleCmd,
        cached: 'static',
        repeats: s.repeats,
        warmup,
      });
      torchStatic = Math.min(torchStatic, staticRun.seconds);
      cpu.torchStatic = Math.min(cpu.torchStatic, staticRun.cpu_seconds);
      const ours = bestTimes(() => dispose(sampleOnce(p)), s.repeats, warmup);
      sampling.ours = Math.min(sampling.ours, ours.wall);
      cpu.ours = Math.min(cpu.ours, ours.cpu);
      const before = bestTimes(() => dispose(sampleOnce(p, 'eager')), s.repeats, warmup);
      eager = Math.min(eager, before.wall);
      cpu.eager = Math.min(cpu.eager, before.cpu);
      if (r < s.naiveRounds) {
        const n = await py.call<{ seconds: number }>({ ...sampleCmd, cached: false, repeats: 1, warmup: 0 });
        naive = Math.min(naive, n.seconds);
      }
      if (!trainer || !spec.train) continue;
      const t = await py.call<{ ms: number; first_loss: number }>({
        op: 'train',
        name,
        repeats: spec.train.repeats,
        warmup,
      });
      training.torch = Math.min(training.torch, t.ms);
      pyFirstLoss = t.first_loss;
      training.ours = Math.min(
        training.ours,
        bestTime(() => trainer.step(), spec.train.repeats, warmup) * 1e3,
      );
      if (pyDefault) {
        const d = await pyDefault.call<{ ms: number }>({
          op: 'train',
          name,
          repeats: spec.train.repeats,
          warmup,
        });
        trainDefault = Math.min(trainDefault, d.ms);
      }
    }
    return {
      sampling,
      eager,
      torchStatic,
      cpu,
      training,
      naive,
      trainDefault,
      firstLoss: trainer?.firstLoss ?? Number.NaN,
      pyFirstLoss,
    };
  } finally {
    trainer?.dispose();
  }
}

export async function runModelBench(specs: ModelBenchSpec[] = MODEL_BENCHES): Promise<ModelBenchOutput> {
  const root = await mkdtemp(join(tmpdir(), 'maxent-bench-model-'));
  const prepared: Prepared[] = [];
  const script = join(dirname(fileURLToPath(import.meta.url)), 'model.py');
  const spec = { threads: getNumThreads() };
  // PyTorch with the addon's malloc policy (like for like), and as installed (glibc defaults).
  const retained = process.env.MAXENT_MALLOC !== 'system';
  const py = new PythonServer(script, spec, { ...process.env, ...(retained ? RETAIN_FREED_MEMORY_ENV : {}) });
  const pyDefault = retained ? new PythonServer(script, spec, process.env) : null;
  try {
    await py.read();
    await pyDefault?.read();
    const rows: EngineResult[] = [];
    const notes: string[] = [];
    const rates = machineRates();
    notes.push(
      `this machine now: matmul 1024² ${rates.gflops.toFixed(0)} GFLOP/s, copy ${rates.gbps.toFixed(1)} GB/s (read + write), the roofline's rates`,
    );
    for (const bench of specs) {
      const p = await prepare(bench, root);
      prepared.push(p);
      const load = { op: 'load', name: bench.label, dir: p.dir, inputs: join(p.dir, 'inputs.json') };
      const { params } = await py.call<{ params: number }>(load);
      await pyDefault?.call(load);
      // The same seed on both sides: with the same weights the sampled tokens should agree.
      const first = sampleOnce(p);
      const ours = toRows(first.tokens);
      dispose(first);
      const torchTokens = await py.call<{ tokens: number[][] }>({
        op: 'sample',
        name: bench.label,
        new_tokens: bench.sample.newTokens,
        seed: bench.sample.seed,
        cached: true,
        tokens: true,
      });
      const m = await measure(p, py, pyDefault);
      const { label, config, train, sample: s } = bench;
      const newTokens = s.prompts * s.newTokens;
      const perSecond = (seconds: number) => newTokens / seconds;
      const shape = `${s.prompts}×(${s.minPromptLen}–${s.promptLen} prompt + ${s.newTokens} new)`;
      if (train)
        rows.push({
          name: `${label} train step ${train.batch}×${train.seq}`,
          ours: m.training.ours,
          torch: m.training.torch,
          unit: 'ms',
          speedup: m.training.torch / m.training.ours,
        });
      if (pyDefault && train)
        rows.push({
          name: `${label} train step ${train.batch}×${train.seq}, PyTorch with glibc's default malloc`,
          ours: m.training.ours,
          torch: m.trainDefault,
          unit: 'ms',
          speedup: m.trainDefault / m.training.ours,
        });
      if (s.naiveRounds > 0)
        rows.push({
          name: `${label} sampling ${shape}, vs naive eager`,
          ours: perSecond(m.sampling.ours),
          torch: perSecond(m.naive),
          unit: 'tokens/s',
          speedup: m.naive / m.sampling.ours,
        });
      rows.push(
        {
          name: `${label} sampling ${shape}, vs PyTorch KV cache (cat)`,
          ours: perSecond(m.sampling.ours),
          torch: perSecond(m.sampling.torch),
          unit: 'tokens/s',
          speedup: m.sampling.torch / m.sampling.ours,
        },
        {
          name: `${label} sampling ${shape}, vs PyTorch static KV cache`,
          ours: perSecond(m.sampling.ours),
          torch: perSecond(m.torchStatic),
          unit: 'tokens/s',
          speedup: m.torchStatic / m.sampling.ours,
        },
        {
          name: `${label} sampling, before (our eager loop) vs PyTorch static KV cache`,
          ours: perSecond(m.eager),
          torch: perSecond(m.torchStatic),
          unit: 'tokens/s',
          speedup: m.torchStatic / m.eager,
        },
      );
      const limit = roofline(config, s.prompts, s.promptLen, s.newTokens, rates);
      notes.push(
        `${label} sampling: ${(m.sampling.ours * 1e3).toFixed(0)} ms (before: ${(m.eager * 1e3).toFixed(0)} ms, ` +
          `${(m.eager / m.sampling.ours).toFixed(2)}× faster now); roofline ${(limit.seconds * 1e3).toFixed(0)} ms ` +
          `(prefill ${(limit.prefill * 1e3).toFixed(0)}, decode ${(limit.decode * 1e3).toFixed(0)}): ` +
          `${((100 * limit.seconds) / m.sampling.ours).toFixed(0)}% of the roofline`,
      );
      notes.push(
        `${label} sampling CPU time (all threads, less sensitive to load than wall time): ours ` +
          `${(m.cpu.ours * 1e3).toFixed(0)} ms, before ${(m.cpu.eager * 1e3).toFixed(0)} ms, PyTorch static KV cache ` +
          `${(m.cpu.torchStatic * 1e3).toFixed(0)} ms: ${(m.cpu.torchStatic / m.cpu.ours).toFixed(2)}× PyTorch, ` +
          `${(m.cpu.eager / m.cpu.ours).toFixed(2)}× before`,
      );
      notes.push(
        `${label}: ${(countParameters(config) / 1e6).toFixed(2)}M parameters (PyTorch side ${(params / 1e6).toFixed(2)}M), ` +
          `hidden ${config.hiddenSize}, ${config.numHiddenLayers} layers × ${config.numAttentionHeads} heads, vocab ${config.vocabSize}; ` +
          (train
            ? `first-step loss ours ${m.firstLoss.toFixed(5)} vs PyTorch ${m.pyFirstLoss.toFixed(5)}; `
            : '') +
          `sampled tokens equal to PyTorch's (same seed) ${agreement(ours, torchTokens.tokens)}`,
      );
    }
    return { rows, notes };
  } finally {
    py.close();
    pyDefault?.close();
    for (const p of prepared) {
      p.model.dispose();
      dispose([p.trainIds, p.promptIds, p.promptMask]);
    }
    await rm(root, { recursive: true, force: true });
  }
}
