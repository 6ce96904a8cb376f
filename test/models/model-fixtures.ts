/** Shared fixtures of the model tests: tiny configs, wide random weights, temp folders, the Python reference. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GPTNeoXConfig } from '../../src/models/gptneox/config.ts';
import { type ModelKind, type StateDict, shapesFor } from '../../src/models/gptneox/parameter-layout.ts';
import { Generator, keep, randn, type Tensor, tensor, tidy } from '../../src/tensor/index.ts';
import { mulberry32 } from '../../src/util/prng.ts';

/** hidden 32, 4 heads of 8, 2 layers, vocab 50: parallel residual with rotary 0.25 (2 of 8 dims). */
export function tinyConfig(overrides: Partial<GPTNeoXConfig> = {}): GPTNeoXConfig {
  return {
    vocabSize: 50,
    hiddenSize: 32,
    numHiddenLayers: 2,
    numAttentionHeads: 4,
    intermediateSize: 64,
    rotaryPct: 0.25,
    rotaryEmbBase: 10000,
    useParallelResidual: true,
    layerNormEps: 1e-5,
    hiddenAct: 'gelu',
    attentionBias: true,
    maxPositionEmbeddings: 128,
    tieWordEmbeddings: false,
    initializerRange: 0.02,
    bosTokenId: 0,
    eosTokenId: 0,
    padTokenId: null,
    ...overrides,
  };
}

/**
 * Weights wide enough that every parameter visibly moves the logits (HF's init, std 0.02 with unit
 * layer norms and zero biases, would hide swapped biases or norms): matrices ~ N(0, 1/fan_in),
 * embeddings ~ N(0, 1), layer-norm weights ~ 1 + N(0, 0.2²), biases ~ N(0, 0.1²).
 */
export function wideRandomState(config: GPTNeoXConfig, kind: ModelKind, seed: number): StateDict {
  const gen = new Generator(seed);
  const state: StateDict = new Map();
  for (const [name, shape] of shapesFor(kind, config)) {
    const t = tidy(() => {
      const z = randn(shape, gen);
      if (/(layernorm|layer_norm)\.weight$/.test(name)) return z.mul(0.2).add(1);
      if (name.endsWith('.bias')) return z.mul(0.1);
      if (name.endsWith('embed_in.weight')) return z;
      return z.mul(1 / Math.sqrt(shape[1] ?? 1));
    });
    state.set(name, keep(t));
  }
  return state;
}

export async function tempDir(prefix: string): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export function int64(rows: number[][]): Tensor {
  return tensor(rows, { dtype: 'int64' });
}

/** Random token rows in [1, vocab) from a seeded stream. */
export function randomIds(batch: number, length: number, vocab: number, seed: number): number[][] {
  const next = mulberry32(seed);
  return Array.from({ length: batch }, () =>
    Array.from({ length }, () => 1 + Math.floor(next() * (vocab - 1))),
  );
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Debian's python3 with torch; MAXENT_PYTHON overrides (the GPU check uses the machine's own). */
export const PYTHON = process.env.MAXENT_PYTHON ?? '/usr/bin/python3';
export const REFERENCE_SCRIPT = join(import.meta.dirname, '../../scripts/reference/gptneox_reference.py');
export const LLAMA_REFERENCE_SCRIPT = join(import.meta.dirname, '../../scripts/reference/llama_reference.py');

/** Why the Python reference cannot run here, or null when /usr/bin/python3 has torch. */
export function pythonTorchUnavailable(): string | null {
  const r = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (r.error) return `${PYTHON} not runnable: ${r.error.message}`;
  return r.status === 0 ? null : `${PYTHON} lacks torch: ${r.stderr.trim().split('\n').pop()}`;
}

/** One forward pass for the Python reference: a snapshot folder and its inputs. */
export interface ReferenceJob {
  snapshot: string;
  inputIds: number[][];
  attentionMask?: number[][];
  /** Also decode this many tokens greedily (llama_reference.py only). */
  greedyNewTokens?: number;
}

export interface ReferenceLogits {
  shape: number[];
  /** Row-major [B, T, V], computed in float64. */
  logits: number[];
  /** [B, greedyNewTokens] when asked for. */
  greedy?: number[][];
}

/** Runs every job in one Python process (importing torch takes seconds) and returns their logits. */
export async function referenceLogits(
  jobs: ReferenceJob[],
  workDir: string,
  script = REFERENCE_SCRIPT,
): Promise<ReferenceLogits[]> {
  const args: string[] = [];
  for (const [i, job] of jobs.entries()) {
    const inputs = join(workDir, `reference-inputs-${i}.json`);
    await writeFile(
      inputs,
      JSON.stringify({
        input_ids: job.inputIds,
        attention_mask: job.attentionMask ?? null,
        greedy_new_tokens: job.greedyNewTokens ?? 0,
      }),
    );
    args.push(job.snapshot, inputs, join(workDir, `reference-logits-${i}.json`));
  }
  execFileSync(PYTHON, [script, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  return Promise.all(
    jobs.map(
      async (_, i) =>
        JSON.parse(await readFile(join(workDir, `reference-logits-${i}.json`), 'utf8')) as ReferenceLogits,
    ),
  );
}
