/**
 * The default decoding loop: a static KV cache and one native loop per generation (the design and
 * its reasons: docs/generation.md).
 *
 *   1. prefill: the prompts go through the TypeScript model once, writing their keys and values into
 *      a cache preallocated for prompt + maxNewTokens positions; step 0 chooses the first tokens;
 *   2. step 1 runs the TypeScript decode step (model forward + token choice, the same code as the
 *      eager loop) once while libtorch's tracer records its ops (RecordedStep);
 *   3. the addon replays the recorded step for the remaining positions without returning to
 *      JavaScript, reading the "every row finished" flag every few steps (every step on the CPU,
 *      where it costs no device sync).
 * The model and the sampling rules are therefore written once, in TypeScript; the native side only
 * loops. Every step has the same shapes: the new token's key and value are written at its buffer
 * position and attention runs over the whole buffer under a mask (future and padding positions
 * blocked).
 */

import { arange, cat, ones, stack, type Tensor, tensor, tidy, where, zeros } from '../../tensor/index.ts';
import { RecordedStep } from '../../tensor/recorded-step.ts';
import { allocateStaticCache, disposeCache, positionIdsFromMask } from '../gptneox/model.ts';
import { adapterTensors } from '../linear.ts';
import type { CausalLM } from '../model-family.ts';
import type { GenerateOptions, Generation, Prompts, StepColumns } from './generate.ts';

/** One decoding step's [B] results: the eager step's columns and, for the native loop's stop check, `finished`. */
export interface StepResult extends StepColumns {
  /** [B] bool: the row has ended (EOS) by this step. */
  finished: Tensor;
}

/** Chooses and scores the next tokens from logits [B, V] given which rows have already ended. */
export type SelectTokens = (logits: Tensor, uniforms: Tensor | null, finished: Tensor) => StepResult;

const COLUMNS = [
  'token',
  'valid',
  'policyLogProb',
  'samplingLogProb',
  'policyEntropy',
  'samplingEntropy',
  'finished',
] as const;

/** Read the stop flag every this many steps off the CPU (each read is a device sync). */
const DEVICE_CHECK_EVERY = 8;

export function decodeRecorded(
  model: CausalLM,
  prompts: Prompts,
  noise: Tensor | null,
  o: GenerateOptions,
  select: SelectTokens,
): Generation {
  const [B, P] = prompts.ids.shape as [number, number];
  const N = o.maxNewTokens;
  const S = P + N;
  const device = prompts.ids.device;
  const cache = allocateStaticCache(model.config, B, S, { dtype: model.dtype, device });
  try {
    // Buffer positions holding real tokens: the prompt's, then every generated one.
    const keyValid = cat([prompts.mask.ne(0), ones([B, N], { dtype: 'bool', device })], 1);
    const bufferPositions = arange(0, S, 1, { device });
    const promptSlots = arange(0, P, 1, { device });
    const promptPositions = positionIdsFromMask(prompts.mask);
    const first = tidy(() => {
      const attends = keyValid
        .view(B, 1, 1, S)
        .logicalAnd(bufferPositions.view(1, S).le(promptSlots.view(P, 1)).view(1, 1, P, S));
      const { hidden } = model.trunk.forward(prompts.ids, {
        positionIds: promptPositions,
        staticCache: { cache, slots: promptSlots, attends },
      });
      const logits = model.lmHead(hidden.select(1, P - 1));
      return select(logits, noise?.select(1, 0) ?? null, zeros([B], { dtype: 'bool', device }));
    });
    const steps: StepResult[] = [first];
    if (N === 1 || first.finished.all().item() !== 0) return assemble(steps, []);

    // The decode step, on tensors only: carried [token, position, slot, finished, stepIndex] and
    // fixed [noise?, keyValid, cache buffers…, weights…].
    const buffers = cache.flatMap((layer) => [layer.key, layer.value]);
    // Adapter weights (LoRA) too: a tensor that requires grad cannot be baked in as a constant.
    const weights = [...new Set([...model.parameters().values(), ...adapterTensors(model)])];
    const fixed = [...(noise ? [noise] : []), keyValid, ...buffers, ...weights];
    const carried0 = [
      first.token,
      promptPositions.select(1, P - 1).add(1),
      tensor([P], { dtype: 'int64', device }),
      first.finished,
      tensor([1], { dtype: 'int64', device }),
    ];
    const decodeStep = (inputs: Tensor[]): Tensor[] => {
      const [token, position, slot, finished, stepIndex] = inputs as [Tensor, Tensor, Tensor, Tensor, Tensor];
      const attends = keyValid.logicalAnd(bufferPositions.le(slot)).view(B, 1, 1, S);
      const { hidden } = model.trunk.forward(token.unsqueeze(1), {
        positionIds: position.unsqueeze(1),
        staticCache: { cache, slots: slot, attends },
      });
      const logits = model.lmHead(hidden.select(1, 0));
      const uniforms = noise ? noise.indexSelect(1, stepIndex).squeeze(1) : null;
      const r = select(logits, uniforms, finished);
      return [
        r.token,
        position.add(1),
        slot.add(1),
        r.finished,
        stepIndex.add(1),
        ...COLUMNS.map((c) => r[c]),
        r.finished.all(),
      ];
    };
    const { step, outputs } = RecordedStep.record([...carried0, ...fixed], decodeStep);
    try {
      const column = (i: number) => outputs[5 + i]!;
      const second = Object.fromEntries(COLUMNS.map((c, i) => [c, column(i)])) as unknown as StepResult;
      steps.push(second);
      if (N === 2 || outputs[outputs.length - 1]!.item() !== 0) return assemble(steps, []);
      const loop = step.loop(outputs.slice(0, 5), fixed, {
        maxSteps: N - 2,
        checkEvery: device === 'cpu' ? 1 : DEVICE_CHECK_EVERY,
        stackDim: 1,
      });
      return assemble(steps, loop.collected);
    } finally {
      step.dispose();
    }
  } finally {
    disposeCache(cache);
  }
}

/** The generation from the first steps' [B] columns and the loop's [B, steps] columns. */
function assemble(steps: StepResult[], looped: Tensor[]): Generation {
  const gather = (i: number) => {
    const name = COLUMNS[i]!;
    const head = stack(
      steps.map((s) => s[name]),
      1,
    );
    return looped.length === 0 ? head : cat([head, looped[i]!], 1);
  };
  const valid = gather(1);
  const masked = (i: number) => where(valid, gather(i), 0);
  const finished = gather(6);
  return {
    tokens: gather(0),
    responseMask: valid.float(),
    policyLogProbs: masked(2),
    samplingLogProbs: masked(3),
    policyEntropy: masked(4),
    samplingEntropy: masked(5),
    endedWithEos: finished.select(1, finished.dim(1) - 1),
  };
}
