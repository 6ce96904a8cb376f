/**
 * AdamW with torch.optim.AdamW semantics (Loshchilov & Hutter 2019, decoupled weight decay):
 *   θ ← θ(1 − ηλ);  m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  θ ← θ − η·m̂/(√v̂ + ε)
 * with m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ). The update runs in one native call per step.
 */
import { native } from '../../native/binding.ts';
import { zeros } from '../create.ts';
import { keep } from '../scope.ts';
import type { Tensor } from '../tensor.ts';

export interface AdamWConfig {
  /** Learning rate η (overridable per step by a schedule). Default 1e-3, as torch. */
  lr?: number;
  /** Exponential decay rates (β₁, β₂) of the moment estimates. Default [0.9, 0.999]. */
  betas?: [number, number];
  /** Term added to the denominator for stability. Default 1e-8. */
  eps?: number;
  /** Decoupled weight decay λ. Default 0.01, as torch. */
  weightDecay?: number;
}

/** A group of parameters sharing a weight decay (e.g. no decay on biases and norms). */
export interface ParamGroup {
  params: Tensor[];
  weightDecay?: number;
}

export interface AdamWState {
  /** Updates taken so far (the optimizer's own counter). */
  step: number;
  /** Per-parameter step counts (a parameter counts only steps where it had a gradient, as torch). */
  paramSteps: number[];
  expAvg: Tensor[];
  expAvgSq: Tensor[];
}

export class AdamW {
  readonly groups: {
    params: Tensor[];
    weightDecay: number;
    expAvg: Tensor[];
    expAvgSq: Tensor[];
    steps: number[];
  }[];
  readonly lr: number;
  readonly betas: [number, number];
  readonly eps: number;
  stepCount = 0;

  constructor(params: Tensor[] | ParamGroup[], cfg: AdamWConfig = {}) {
    this.lr = cfg.lr ?? 1e-3;
    this.betas = cfg.betas ?? [0.9, 0.999];
    this.eps = cfg.eps ?? 1e-8;
    validate(this.lr, this.betas, this.eps, cfg.weightDecay ?? 0.01);
    const groups: ParamGroup[] = isGroupList(params) ? params : [{ params }];
    this.groups = groups.map((g) => ({
      params: g.params,
      weightDecay: g.weightDecay ?? cfg.weightDecay ?? 0.01,
      expAvg: g.params.map((p) => keep(zeros(p.shape, { dtype: p.dtype, device: p.device }))),
      expAvgSq: g.params.map((p) => keep(zeros(p.shape, { dtype: p.dtype, device: p.device }))),
      steps: g.params.map(() => 0),
    }));
  }

  get params(): Tensor[] {
    return this.groups.flatMap((g) => g.params);
  }

  /** One update from the accumulated gradients; `lr` overrides the configured rate (schedules). */
  step(lr = this.lr): void {
    this.stepCount += 1;
    const [b1, b2] = this.betas;
    for (const g of this.groups) {
      g.steps = native.adamwStep(
        g.params.map((p) => p.handle),
        g.expAvg.map((t) => t.handle),
        g.expAvgSq.map((t) => t.handle),
        g.steps,
        lr,
        b1,
        b2,
        this.eps,
        g.weightDecay,
      );
    }
  }

  /** Drops every gradient (set_to_none semantics). */
  zeroGrad(): void {
    native.zeroGrad(this.params.map((p) => p.handle));
  }

  /** Moment buffers in parameter order, for checkpoints (the tensors are live: do not dispose). */
  state(): AdamWState {
    return {
      step: this.stepCount,
      paramSteps: this.groups.flatMap((g) => g.steps),
      expAvg: this.groups.flatMap((g) => g.expAvg),
      expAvgSq: this.groups.flatMap((g) => g.expAvgSq),
    };
  }

  /** Restores moments (copied in) and the step counters. */
  loadState(s: AdamWState): void {
    const m = this.groups.flatMap((g) => g.expAvg);
    const v = this.groups.flatMap((g) => g.expAvgSq);
    if (s.expAvg.length !== m.length || s.expAvgSq.length !== v.length) {
      throw new Error(
        `optimizer state has ${s.expAvg.length} moment tensors, the model has ${m.length} parameters`,
      );
    }
    if (s.paramSteps.length !== m.length) {
      throw new Error(
        `optimizer state has ${s.paramSteps.length} step counts, the model has ${m.length} parameters`,
      );
    }
    for (const [i, t] of m.entries()) t.copy_(s.expAvg[i]!);
    for (const [i, t] of v.entries()) t.copy_(s.expAvgSq[i]!);
    let k = 0;
    for (const g of this.groups) g.steps = g.params.map(() => s.paramSteps[k++]!);
    this.stepCount = s.step;
  }

  dispose(): void {
    for (const g of this.groups) for (const t of [...g.expAvg, ...g.expAvgSq]) t.dispose();
  }
}

function isGroupList(p: Tensor[] | ParamGroup[]): p is ParamGroup[] {
  return p.length > 0 && 'params' in (p[0] as object);
}

function validate(lr: number, betas: [number, number], eps: number, wd: number): void {
  if (!(lr >= 0)) throw new Error(`AdamW lr must be >= 0, got ${lr}`);
  for (const b of betas)
    if (!(b >= 0 && b < 1)) throw new Error(`AdamW betas must lie in [0, 1), got [${betas}]`);
  if (!(eps >= 0)) throw new Error(`AdamW eps must be >= 0, got ${eps}`);
  if (!(wd >= 0)) throw new Error(`AdamW weightDecay must be >= 0, got ${wd}`);
}
