/** Positions and last tokens derived from an attention mask (1 = real token, 0 = padding). */
import { arange, type Tensor } from '../../tensor/index.ts';

/** Position ids cumsum(mask) − 1, clamped at 0: each row counts from its first real token. */
export function positionIdsFromMask(mask: Tensor): Tensor {
  return mask.long().cumsum(1).sub(1).clamp(0);
}

/** [B] int64 index of each row's last real token (0 for a row without any). */
export function lastTokenIndex(mask: Tensor): Tensor {
  const columns = arange(0, mask.dim(1), 1, { device: mask.device });
  return columns.mul(mask.ne(0).long()).argmax(1);
}
