/**
 * Side check, never in CI: HF transformers loads the Llama / Qwen2 snapshots we save and computes what
 * we compute. Writes random-weight snapshots (wide weights, so every parameter moves the logits) of
 * the reference test's kinds — grouped-query and multi-head, tied and untied, Llama's biases, Qwen2's
 * q/k/v biases, linear and llama3 rope scaling, a Qwen2 reward model — runs
 * scripts/reference/hf_llama_side_check.py (AutoModelFor…, float64), and prints per snapshot the
 * largest difference from our float32 logits (scores) and whether greedy decoding agrees.
 *
 *   node bin/run-ts.mjs scripts/llama-side-check.ts PYTHON   # a python with torch 2.x and transformers
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LlamaConfig } from '../src/models/llama/config.ts';
import { llamaShapesFor } from '../src/models/llama/config.ts';
import { LlamaForCausalLM, LlamaRewardModel } from '../src/models/llama/model.ts';
import { generate } from '../src/models/sampling/generate.ts';
import { Generator, keep, noGrad, randn, type Tensor, tensor, tidy } from '../src/tensor/index.ts';
import { mulberry32 } from '../src/util/prng.ts';

const python = process.argv[2] ?? 'python3';
const NEW_TOKENS = 6;

const base: LlamaConfig = {
  modelType: 'llama',
  vocabSize: 50,
  hiddenSize: 32,
  numHiddenLayers: 2,
  numAttentionHeads: 4,
  numKeyValueHeads: 2,
  headDim: 8,
  intermediateSize: 48,
  rmsNormEps: 1e-5,
  ropeTheta: 10000,
  ropeScaling: null,
  qkvBias: false,
  outputBias: false,
  mlpBias: false,
  maxPositionEmbeddings: 128,
  tieWordEmbeddings: false,
  initializerRange: 0.02,
  bosTokenId: 0,
  eosTokenId: 0,
  padTokenId: null,
};

const CASES: { name: string; kind: 'causal' | 'reward'; config: LlamaConfig }[] = [
  { name: 'llama GQA untied', kind: 'causal', config: base },
  {
    name: 'llama MHA tied, attention and MLP biases',
    kind: 'causal',
    config: {
      ...base,
      numKeyValueHeads: 4,
      tieWordEmbeddings: true,
      qkvBias: true,
      outputBias: true,
      mlpBias: true,
    },
  },
  {
    name: 'llama MQA, head_dim 16, rope linear ×4',
    kind: 'causal',
    config: { ...base, numKeyValueHeads: 1, headDim: 16, ropeScaling: { type: 'linear', factor: 4 } },
  },
  {
    name: 'llama rope llama3, θ 5e5',
    kind: 'causal',
    config: {
      ...base,
      headDim: 16,
      ropeTheta: 500000,
      ropeScaling: {
        type: 'llama3',
        factor: 8,
        lowFreqFactor: 1,
        highFreqFactor: 4,
        originalMaxPositionEmbeddings: 64,
      },
    },
  },
  {
    name: 'qwen2 q/k/v biases, tied, θ 1e6',
    kind: 'causal',
    config: {
      ...base,
      modelType: 'qwen2',
      qkvBias: true,
      tieWordEmbeddings: true,
      ropeTheta: 1e6,
      rmsNormEps: 1e-6,
    },
  },
  {
    name: 'qwen2 reward model (Qwen2ForSequenceClassification)',
    kind: 'reward',
    config: { ...base, modelType: 'qwen2', qkvBias: true, ropeTheta: 1e6 },
  },
];

function wideState(
  config: LlamaConfig,
  kind: 'causal-lm' | 'reward-model',
  seed: number,
): Map<string, Tensor> {
  const gen = new Generator(seed);
  const state = new Map<string, Tensor>();
  for (const [name, shape] of llamaShapesFor(kind, config)) {
    state.set(
      name,
      keep(
        tidy(() => {
          const z = randn(shape, gen);
          if (/(layernorm|\.norm)\.weight$/.test(name)) return z.mul(0.2).add(1);
          if (name.endsWith('.bias')) return z.mul(0.1);
          if (name.endsWith('embed_tokens.weight')) return z;
          return z.mul(1 / Math.sqrt(shape[1] ?? 1));
        }),
      ),
    );
  }
  return state;
}

const root = mkdtempSync(join(tmpdir(), 'llama-side-check-'));
try {
  const next = mulberry32(11);
  const row = (n: number) => Array.from({ length: n }, () => 1 + Math.floor(next() * 49));
  // Two rows, the second left-padded by 3 (its mask says so).
  const ids = [row(9), [0, 0, 0, ...row(6)]];
  const mask = [ids[0]!.map(() => 1), [0, 0, 0, 1, 1, 1, 1, 1, 1]];
  const ours: { values: number[]; greedy?: number[][] }[] = [];
  const jobs = CASES.map((c, i) => {
    const dir = join(root, `case-${i}`);
    return { dir, c, i };
  });
  for (const { dir, c, i } of jobs) {
    if (c.kind === 'causal') {
      const model = new LlamaForCausalLM(c.config, wideState(c.config, 'causal-lm', 40 + i));
      await model.save(dir);
      const logits = noGrad(() =>
        model.logits(tensor(ids, { dtype: 'int64' }), tensor(mask, { dtype: 'int64' })),
      );
      const greedy = noGrad(() =>
        generate(
          model,
          { ids: tensor(ids, { dtype: 'int64' }), mask: tensor(mask, { dtype: 'int64' }) },
          { maxNewTokens: NEW_TOKENS, greedy: true, eosId: -1, padId: 0 },
        ),
      );
      ours.push({ values: logits.toArray(), greedy: greedy.tokens.tolist() as number[][] });
    } else {
      const model = new LlamaRewardModel(c.config, wideState(c.config, 'reward-model', 40 + i));
      await model.save(dir);
      const rewards = noGrad(() =>
        model.rewards(tensor(ids, { dtype: 'int64' }), tensor(mask, { dtype: 'int64' })),
      );
      ours.push({ values: rewards.toArray() });
    }
  }
  const jobsFile = join(root, 'jobs.json');
  writeFileSync(
    jobsFile,
    JSON.stringify(
      jobs.map(({ dir, c }) => ({
        dir,
        kind: c.kind,
        input_ids: ids,
        attention_mask: mask,
        new_tokens: NEW_TOKENS,
      })),
    ),
  );
  const outFile = join(root, 'out.json');
  execFileSync(
    python,
    [join(import.meta.dirname, 'reference', 'hf_llama_side_check.py'), jobsFile, outFile],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const hf = JSON.parse(readFileSync(outFile, 'utf8')) as {
    transformers: string;
    torch: string;
    results: { class: string; values: number[]; greedy?: number[][] }[];
  };
  console.log(`transformers ${hf.transformers}, torch ${hf.torch}: ours (float32) against HF (float64)`);
  console.log('| snapshot | HF class | max abs difference (real tokens) | greedy tokens equal |');
  console.log('|---|---|---|---|');
  const T = ids[0]!.length;
  CASES.forEach((c, i) => {
    const a = ours[i]!.values;
    const b = hf.results[i]!.values;
    const V = c.kind === 'causal' ? c.config.vocabSize : 1;
    let diff = 0;
    for (let k = 0; k < a.length; k++) {
      // Logits of padding positions are not compared (HF and we fill fully masked rows differently).
      const real = c.kind === 'reward' || mask[Math.floor(k / (T * V))]![Math.floor(k / V) % T] === 1;
      if (real) diff = Math.max(diff, Math.abs(a[k]! - b[k]!));
    }
    const greedy =
      c.kind === 'causal'
        ? String(JSON.stringify(ours[i]!.greedy) === JSON.stringify(hf.results[i]!.greedy))
        : '—';
    console.log(`| ${c.name} | ${hf.results[i]!.class} | ${diff.toExponential(2)} | ${greedy} |`);
  });
} finally {
  rmSync(root, { recursive: true, force: true });
}
