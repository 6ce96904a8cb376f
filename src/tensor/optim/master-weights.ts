/**
 * Mixed precision as DeepSpeed's and Accelerate's bf16 modes do it: the model computes (forward and
 * backward) with its bfloat16 weights, while the optimizer owns float32 master copies. After each
 * backward pass the reduced-precision gradients are added into float32 master gradients (so
 * gradient accumulation over micro-batches sums in float32); AdamW steps the masters, its moments
 * float32 too; the model's weights are then refreshed from the masters (rounded to bfloat16).
 * Float32 parameters are their own masters: for an all-float32 model this is a no-op.
 */
import { native } from '../../native/binding.ts';
import { dispose, keep, tidy } from '../scope.ts';
import type { Tensor } from '../tensor.ts';

const REDUCED = new Set(['bfloat16', 'float16']);

export class MasterWeights {
  /** One float32 tensor per parameter (the parameter itself when it is float32). */
  readonly masters: Tensor[];
  private readonly reduced: number[];

  constructor(readonly params: readonly Tensor[]) {
    this.reduced = [];
    this.masters = params.map((p, i) => {
      if (!REDUCED.has(p.dtype)) return p;
      this.reduced.push(i);
      return keep(tidy(() => p.detach().to('float32'))).requiresGrad_(true);
    });
  }

  /** Whether any parameter computes in reduced precision. */
  get active(): boolean {
    return this.reduced.length > 0;
  }

  /** Adds each reduced parameter's gradient into its master's float32 gradient and drops it. */
  foldGradients(): void {
    for (const i of this.reduced) {
      const p = this.params[i]!;
      const m = this.masters[i]!;
      tidy(() => {
        const g = p.grad;
        if (!g) return;
        const mg = m.grad;
        if (mg) mg.addScaled_(g, 1);
        else m.grad = g.to('float32');
        p.grad = null;
      });
    }
  }

  /** Rounds the masters into the model's reduced-precision weights (after an optimizer step or a restore). */
  syncToModel(): void {
    const was = native.isGradEnabled();
    native.setGradEnabled(false);
    try {
      for (const i of this.reduced) this.params[i]!.copy_(this.masters[i]!);
    } finally {
      native.setGradEnabled(was);
    }
  }

  /** Drops the reduced parameters' own gradients (the masters' are the optimizer's to zero). */
  zeroModelGrads(): void {
    for (const i of this.reduced) this.params[i]!.grad = null;
  }

  dispose(): void {
    dispose(this.reduced.map((i) => this.masters[i]!));
  }
}
