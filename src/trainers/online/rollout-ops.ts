/** Row selection and reward shaping on rollouts. */
import { type Tensor, arange, tidy, zeros } from '../../tensor/index.ts';
import type { PromptBatch, Rollout } from './types.ts';

/** The rows `idx` ([n] int64) of a rollout (prompt indices follow). */
export function selectRows(r: Rollout, idx: Tensor): Rollout {
  const rows = idx.toArray();
  const prompts: PromptBatch = {
    ids: r.prompts.ids.indexSelect(0, idx),
    mask: r.prompts.mask.indexSelect(0, idx),
    index: rows.map((i) => r.prompts.index[i]!),
  };
  return {
    prompts,
    responseIds: r.responseIds.indexSelect(0, idx),
    responseMask: r.responseMask.indexSelect(0, idx),
    endedWithEos: r.endedWithEos.indexSelect(0, idx),
  };
}

/** [B, R] one-hot of each row's last response token (where the sequence-level score is paid). */
export function lastTokenOneHot(mask: Tensor): Tensor {
  return tidy(() => {
    const lastIndex = mask.sum(1).sub(1).clamp(0).to('int64').unsqueeze(1);
    const positions = arange(mask.dim(1), undefined, 1, { device: mask.device }).unsqueeze(0);
    return positions.eq(lastIndex).to(mask.dtype).mul(mask.sum(1, true).gt(0).to(mask.dtype));
  });
}

/** Per-token rewards: the non-score (regularizer) reward plus the score on the last token. */
export function tokenRewards(scores: Tensor, nonScore: Tensor, mask: Tensor): Tensor {
  return tidy(() => nonScore.add(lastTokenOneHot(mask).mul(scores.unsqueeze(1))));
}

/** Applies the missing-EOS penalty: rows that did not end with EOS get `penalty` as score. */
export function penalizeMissingEos(scores: Tensor, endedWithEos: Tensor, penalty: number | null): Tensor {
  if (penalty === null) return scores.clone();
  return tidy(() =>
    endedWithEos.to(scores.dtype).mul(scores).add(endedWithEos.logicalNot().to(scores.dtype).mul(penalty)),
  );
}

export function zerosLike(t: Tensor): Tensor {
  return zeros(t.shape, { dtype: t.dtype, device: t.device });
}
