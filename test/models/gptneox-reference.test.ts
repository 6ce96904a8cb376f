/**
 * Our GPT-NeoX forward against an independent from-scratch implementation of HF's
 * GPTNeoXForCausalLM (scripts/reference/gptneox_reference.py, plain PyTorch, float64), run on
 * checkpoints written by our own saver: logits must agree to 1e-4 in float32. MAXENT_TEST_DEVICE
 * (e.g. cuda, as scripts/gpu-check.sh sets it) runs our side there.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCausalLM } from '../../src/models/checkpoint/load-model.ts';
import type { GPTNeoXConfig } from '../../src/models/gptneox/config.ts';
import { GPTNeoXForCausalLM } from '../../src/models/gptneox/model.ts';
import type { StateDict } from '../../src/models/gptneox/parameter-layout.ts';
import { noGrad, resolveDevice, withDefaultDevice } from '../../src/tensor/index.ts';
import {
  int64,
  maxAbsDiff,
  pythonTorchUnavailable,
  type ReferenceJob,
  type ReferenceLogits,
  randomIds,
  referenceLogits,
  tempDir,
  tinyConfig,
  wideRandomState,
} from './model-fixtures.ts';

const unavailable = pythonTorchUnavailable();
if (unavailable) console.warn(`skipping the Python reference comparison: ${unavailable}`);

const TOLERANCE = 1e-4;
const DEVICE = resolveDevice(process.env.MAXENT_TEST_DEVICE ?? 'cpu');

interface Case {
  name: string;
  config: GPTNeoXConfig;
  maxShardBytes?: number;
  ids: number[][];
  mask?: number[][];
}

const [a, b] = randomIds(2, 8, 50, 5) as [number[], number[]];
const CASES: Case[] = [
  { name: 'parallel residual, rotary_pct 0.25', config: tinyConfig(), ids: randomIds(3, 9, 50, 100) },
  {
    name: 'sequential residual, rotary_pct 1.0, sharded',
    config: tinyConfig({ useParallelResidual: false, rotaryPct: 1.0 }),
    maxShardBytes: 40_000,
    ids: randomIds(3, 9, 50, 101),
  },
  {
    name: 'gelu_new, no attention bias, tied embeddings, rotary_pct 0.5',
    config: tinyConfig({
      hiddenAct: 'gelu_new',
      attentionBias: false,
      tieWordEmbeddings: true,
      rotaryPct: 0.5,
    }),
    ids: randomIds(3, 9, 50, 102),
  },
  {
    name: 'left-padded rows (compared at their real tokens)',
    config: tinyConfig(),
    ids: [a, [0, 0, 0, ...b.slice(3)]],
    mask: [a.map(() => 1), [0, 0, 0, 1, 1, 1, 1, 1]],
  },
];

const ones = (ids: number[][]) => ids.map((r) => r.map(() => 1));

/** The logits (flat [B, T, V]) of the positions whose mask is 1. */
function atRealTokens(flat: number[], mask: number[][], vocab: number): number[] {
  const T = mask[0]!.length;
  return flat.filter((_, k) => mask[Math.floor(k / (T * vocab))]![Math.floor(k / vocab) % T] === 1);
}

describe.skipIf(unavailable !== null)('logits match the independent PyTorch reference', () => {
  let root: Awaited<ReturnType<typeof tempDir>>;
  const states: StateDict[] = [];
  let reference: ReferenceLogits[] = [];

  beforeAll(async () => {
    root = await tempDir('gptneox-reference-');
    const jobs: ReferenceJob[] = [];
    for (const [i, c] of CASES.entries()) {
      const snapshot = join(root.path, `case-${i}`);
      const state = wideRandomState(c.config, 'causal-lm', 10 + i);
      await new GPTNeoXForCausalLM(c.config, state).save(snapshot, { maxShardBytes: c.maxShardBytes });
      states.push(state);
      jobs.push({ snapshot, inputIds: c.ids, attentionMask: c.mask });
    }
    reference = await referenceLogits(jobs, root.path);
  });
  afterAll(() => root.remove());

  for (const [i, c] of CASES.entries()) {
    it(c.name, async () => {
      const model = await loadCausalLM(join(root.path, `case-${i}`), { device: DEVICE });
      const mask = c.mask ?? ones(c.ids);
      const ours = withDefaultDevice(DEVICE, () => noGrad(() => model.logits(int64(c.ids), int64(mask))));
      expect(ours.device).toBe(DEVICE);
      const ref = reference[i]!;
      expect(ours.shape).toEqual(ref.shape);
      const V = c.config.vocabSize;
      const diff = maxAbsDiff(atRealTokens(ours.toArray(), mask, V), atRealTokens(ref.logits, mask, V));
      console.log(`${c.name}: max |logit − reference| = ${diff.toExponential(2)}`);
      expect(diff).toBeLessThan(TOLERANCE);
      expect(Math.max(...ref.logits.map(Math.abs))).toBeGreaterThan(1); // the weights are not vanishingly small
      model.dispose();
    });
  }

  it('the comparison detects a wrong residual layout, rotary width or GELU flavour', () => {
    const c = CASES[0]!;
    for (const wrong of [
      { useParallelResidual: false },
      { rotaryPct: 0.5 },
      { hiddenAct: 'gelu_new' as const },
    ]) {
      const model = new GPTNeoXForCausalLM({ ...c.config, ...wrong }, states[0]!);
      const logits = noGrad(() => model.logits(int64(c.ids), int64(ones(c.ids))));
      expect(maxAbsDiff(logits.toArray(), reference[0]!.logits), JSON.stringify(wrong)).toBeGreaterThan(
        TOLERANCE,
      );
    }
  });
});
