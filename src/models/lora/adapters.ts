/**
 * LoRA adapters wrapped around a model's named linear layers (any family that exposes them:
 * HasNamedLinears). Each adapted layer computes y = x·Wᵀ + b + s·dropout(x)·Aᵀ·Bᵀ with W frozen;
 * the adapters can be switched off for a call (the reference model of DPO and of the KL penalty is
 * the same model with its adapters disabled: no second copy), and their weights carry PEFT's names
 * (`base_model.model.<module>.lora_A.weight`), the names of adapter_model.safetensors.
 */
import {
  dispose,
  dropout,
  type Generator,
  isGradEnabled,
  keep,
  linear,
  rand,
  type Tensor,
  tidy,
  zeros,
} from '../../tensor/index.ts';
import type { HasNamedLinears, Linear, LinearAdapter } from '../linear.ts';
import { type LoraSettings, loraScaling, matchesTarget, resolveTargets } from './settings.ts';

/** PEFT's prefix of every adapter tensor name. */
export const PEFT_PREFIX = 'base_model.model';

/** PEFT's names of a module's two factors. */
export function loraTensorNames(moduleName: string): { a: string; b: string } {
  return {
    a: `${PEFT_PREFIX}.${moduleName}.lora_A.weight`,
    b: `${PEFT_PREFIX}.${moduleName}.lora_B.weight`,
  };
}

/** Whether the adapters of a model are applied (shared by all its layers). */
interface Switch {
  enabled: boolean;
}

/** One adapted layer's term s·dropout(x)·Aᵀ·Bᵀ. */
class LoraLinear implements LinearAdapter {
  constructor(
    /** [r, in]. */
    public a: Tensor,
    /** [out, r]. */
    public b: Tensor,
    readonly scaling: number,
    readonly dropoutP: number,
    private readonly gen: Generator | null,
    private readonly power: Switch,
  ) {}

  tensors(): Tensor[] {
    return [this.a, this.b];
  }

  delta(x: Tensor): Tensor | null {
    if (!this.power.enabled) return null;
    // Dropout only while training (autograd on), as PEFT's nn.Dropout in train mode.
    const input = this.dropoutP > 0 && isGradEnabled() ? dropout(x, this.dropoutP, this.gen ?? undefined) : x;
    return linear(linear(input, this.a), this.b).mul(this.scaling);
  }
}

export interface AttachOptions {
  /** Draws A (Kaiming-uniform) and, with dropout, the dropout masks. */
  gen: Generator;
  /** Use these factors (PEFT names) instead of fresh ones: a saved adapter, a checkpoint. */
  tensors?: Map<string, Tensor>;
}

/** The adapters attached to one model. */
export class LoraAdapters {
  private readonly power: Switch = { enabled: true };
  private readonly layers = new Map<string, { linear: Linear; adapter: LoraLinear }>();

  private constructor(
    readonly settings: LoraSettings,
    /** The target list as resolved for the model (PEFT's default when settings leave it null). */
    readonly targets: string[] | 'all-linear',
    /** The generator of the dropout masks (checkpointed with the run). */
    readonly gen: Generator,
  ) {}

  /**
   * Wraps every linear of `model` that the settings target; A ~ U(−1/√in, 1/√in) (PEFT's
   * kaiming_uniform_ with a = √5) drawn in the order of namedLinears, B = 0 — or the given tensors.
   * Errors name a target that matches no layer, and a given tensor that is missing or mis-shaped.
   */
  static attach(model: HasNamedLinears, settings: LoraSettings, opts: AttachOptions): LoraAdapters {
    const targets = resolveTargets(settings, model.modelType);
    const lora = new LoraAdapters(settings, targets, opts.gen);
    const linears = [...model.namedLinears()];
    if (targets !== 'all-linear')
      for (const t of targets)
        if (!linears.some(([name]) => matchesTarget(name, [t])))
          throw new Error(
            `lora.targetModules: "${t}" matches no linear layer of this ${model.modelType} model (its layers: ${[
              ...new Set(linears.map(([n]) => n.split('.').at(-1))),
            ].join(', ')})`,
          );
    const scaling = loraScaling(settings);
    const used = new Set<string>();
    try {
      for (const [name, layer] of linears) {
        if (!matchesTarget(name, targets)) continue;
        if (layer.adapter) throw new Error(`${name} already has an adapter`);
        const { a, b } = opts.tensors
          ? givenFactors(opts.tensors, name, layer, settings.r, used)
          : freshFactors(layer, settings.r, opts.gen);
        const adapter = new LoraLinear(a, b, scaling, settings.dropout, opts.gen, lora.power);
        layer.adapter = adapter;
        lora.layers.set(name, { linear: layer, adapter });
      }
      if (opts.tensors) {
        const unused = [...opts.tensors.keys()].filter((n) => !used.has(n));
        if (unused.length)
          throw new Error(`adapter tensors match no targeted layer: ${unused.slice(0, 5).join(', ')}`);
      }
    } catch (e) {
      lora.detach();
      throw e;
    }
    return lora;
  }

  /**
   * target_modules as PEFT saves them: the list given, or for all-linear the names it expanded to
   * (the last name component of every adapted layer, sorted).
   */
  savedTargets(): string[] {
    if (this.targets !== 'all-linear') return this.targets;
    return [...new Set(this.moduleNames().map((n) => n.split('.').at(-1)!))].sort();
  }

  /** Module names of the adapted layers, in model order. */
  moduleNames(): string[] {
    return [...this.layers.keys()];
  }

  /** The trainable factors by PEFT name (the live tensors), A then B of each layer in model order. */
  parameters(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [name, { adapter }] of this.layers) {
      const n = loraTensorNames(name);
      out.set(n.a, adapter.a);
      out.set(n.b, adapter.b);
    }
    return out;
  }

  get enabled(): boolean {
    return this.power.enabled;
  }

  /** Runs `fn` on the base model alone (adapters off), restoring the switch afterwards. */
  withDisabled<T>(fn: () => T): T {
    const was = this.power.enabled;
    this.power.enabled = false;
    try {
      return fn();
    } finally {
      this.power.enabled = was;
    }
  }

  /** Runs `fn` with other factors (PEFT names, e.g. a frozen copy) in place of the live ones. */
  withFactors<T>(factors: Map<string, Tensor>, fn: () => T): T {
    const live = new Map<LoraLinear, { a: Tensor; b: Tensor }>();
    try {
      for (const [name, { adapter }] of this.layers) {
        const n = loraTensorNames(name);
        live.set(adapter, { a: adapter.a, b: adapter.b });
        adapter.a = factors.get(n.a) ?? adapter.a;
        adapter.b = factors.get(n.b) ?? adapter.b;
      }
      return fn();
    } finally {
      for (const [adapter, { a, b }] of live) {
        adapter.a = a;
        adapter.b = b;
      }
    }
  }

  /** ΔW = s·B·A of one adapted layer, [out, in], in float32 (no autograd). */
  deltaWeight(moduleName: string): Tensor {
    const layer = this.layers.get(moduleName);
    if (!layer) throw new Error(`no adapter on ${moduleName}`);
    return tidy(() =>
      layer.adapter.b.detach().float().matmul(layer.adapter.a.detach().float()).mul(layer.adapter.scaling),
    );
  }

  /** Removes the adapters from their layers and frees their factors. */
  detach(): void {
    for (const { linear, adapter } of this.layers.values()) {
      if (linear.adapter === adapter) linear.adapter = null;
      dispose([adapter.a, adapter.b]);
    }
    this.layers.clear();
  }
}

function freshFactors(layer: Linear, r: number, gen: Generator): { a: Tensor; b: Tensor } {
  const o = { dtype: layer.weight.dtype, device: layer.weight.device };
  const bound = 1 / Math.sqrt(layer.inFeatures);
  const a = keep(
    tidy(() =>
      rand([r, layer.inFeatures], gen, { device: o.device })
        .mul(2 * bound)
        .sub(bound)
        .to(o.dtype),
    ),
  );
  const b = keep(zeros([layer.outFeatures, r], o));
  return { a, b };
}

function givenFactors(
  tensors: Map<string, Tensor>,
  name: string,
  layer: Linear,
  r: number,
  used: Set<string>,
): { a: Tensor; b: Tensor } {
  const n = loraTensorNames(name);
  const expect = (key: string, shape: number[]) => {
    const t = tensors.get(key);
    if (!t) throw new Error(`adapter tensor ${key} is missing`);
    if (t.shape.join() !== shape.join())
      throw new Error(`adapter tensor ${key} has shape [${t.shape}], expected [${shape}] (r = ${r})`);
    used.add(key);
    return t;
  };
  return { a: expect(n.a, [r, layer.inFeatures]), b: expect(n.b, [layer.outFeatures, r]) };
}
