/**
 * Keyed sampling randomness: each sampled row gets its uniforms from its own key (run seed, step,
 * prompt, sample), never from a process-wide stream. A row's tokens therefore do not depend on the
 * batch it was sampled in: how the batch is chunked, in what order its rows come, or how many
 * data-parallel ranks share it. The uniforms drive inverse-CDF sampling (TokenDistribution.sample),
 * one per generated position.
 */
import { type Tensor, tensor } from '../../tensor/index.ts';
import { hashKey, keyedUniforms } from '../../util/prng.ts';

/** The identity of one sampled row. */
export interface SampleKey {
  /** The run's seed. */
  seed: number;
  /** The step (rollout) the row belongs to. */
  step: number;
  /** The prompt's position in the step's whole batch (not its dataset index: a prompt drawn twice gets two keys). */
  prompt: number;
  /** Which of the prompt's samples (0 … k−1). */
  sample: number;
}

/** [B, positions] float64 uniforms in (0, 1): row b is a pure function of keys[b]. */
export function samplingNoise(keys: readonly SampleKey[], positions: number, device = 'cpu'): Tensor {
  const data = new Float64Array(keys.length * positions);
  keys.forEach((k, b) => {
    data.set(keyedUniforms(hashKey([k.seed, k.step, k.prompt, k.sample]), positions), b * positions);
  });
  return tensor(data, { shape: [keys.length, positions], device });
}
