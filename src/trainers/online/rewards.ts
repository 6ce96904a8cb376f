/** What the online methods do to the reward function's scores before using them. */
import { type Tensor, tidy } from '../../tensor/index.ts';

/** The missing-EOS penalty (TL;DR PPO work): rows that did not end with EOS get `penalty` as score. */
export function penalizeMissingEos(scores: Tensor, endedWithEos: Tensor, penalty: number | null): Tensor {
  if (penalty === null) return scores.clone();
  return tidy(() =>
    endedWithEos.to(scores.dtype).mul(scores).add(endedWithEos.logicalNot().to(scores.dtype).mul(penalty)),
  );
}
