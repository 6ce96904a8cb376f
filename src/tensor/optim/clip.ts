/** Gradient clipping by global L2 norm, as torch.nn.utils.clip_grad_norm_. */
import { native } from '../../native/binding.ts';
import type { Tensor } from '../tensor.ts';

/** Scales all gradients so their joint L2 norm is at most maxNorm; returns the norm before clipping. */
export function clipGradNorm(params: Tensor[], maxNorm: number): number {
  if (!(maxNorm > 0)) throw new Error(`maxNorm must be > 0, got ${maxNorm}`);
  return native.clipGradNorm(
    params.map((p) => p.handle),
    maxNorm,
  );
}

/** Global L2 norm of the gradients without changing them. */
export function gradNorm(params: Tensor[]): number {
  return native.clipGradNorm(
    params.map((p) => p.handle),
    0,
  );
}

/** True when every gradient is finite (no NaN/Inf). */
export function gradsFinite(params: Tensor[]): boolean {
  return native.gradsFinite(params.map((p) => p.handle));
}
