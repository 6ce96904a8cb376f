/**
 * Rotary position embeddings as HF's GPT-NeoX applies them: only the first `rotaryNdims` dims of
 * each head rotate, with the rotate_half convention (pairs (i, i + rot/2), not interleaved pairs).
 */
import { cat, type DType, type Tensor, tensor } from '../../tensor/index.ts';

/** cos and sin of every position's angles, [B, 1, T, rot] (broadcast over heads). */
export interface RotaryTables {
  cos: Tensor;
  sin: Tensor;
}

/** θ_i = base^(−2i/rot) for i < rot/2, computed in double precision and stored as float32. */
function inverseFrequencies(rot: number, base: number, device: string): Tensor {
  const freqs = Array.from({ length: rot / 2 }, (_, i) => 1 / base ** ((2 * i) / rot));
  return tensor(freqs, { dtype: 'float32', device });
}

/** Tables for integer position ids [B, T], angles in float32 (as HF) then cast to `dtype`. */
export function rotaryTables(positionIds: Tensor, rot: number, base: number, dtype: DType): RotaryTables {
  const angles = positionIds
    .float()
    .unsqueeze(-1)
    .mul(inverseFrequencies(rot, base, positionIds.device));
  const emb = cat([angles, angles], -1).unsqueeze(1);
  return { cos: emb.cos().to(dtype), sin: emb.sin().to(dtype) };
}

/** (x1, x2) → (−x2, x1) on the two halves of the last dim. */
function rotateHalf(x: Tensor): Tensor {
  const half = x.dim(-1) / 2;
  return cat([x.narrow(-1, half, half).neg(), x.narrow(-1, 0, half)], -1);
}

/** Rotates the first `rot` dims of x [B, H, T, D]; the remaining D − rot dims pass through. */
export function applyRotary(x: Tensor, { cos, sin }: RotaryTables, rot: number): Tensor {
  if (rot === 0) return x;
  const d = x.dim(-1);
  const xRot = x.narrow(-1, 0, rot);
  const rotated = xRot.mul(cos).add(rotateHalf(xRot).mul(sin));
  return rot === d ? rotated : cat([rotated, x.narrow(-1, rot, d - rot)], -1);
}
