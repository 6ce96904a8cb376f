/**
 * LoRA's knobs and the one formula they feed (Hu et al. 2021; PEFT's LoraConfig): a frozen linear
 * W gains ΔW = s·B·A, A [r, in], B [out, r], s = alpha/r (or alpha/√r with rank-stabilised
 * scaling, Kalajdzievski 2023). A starts Kaiming-uniform (PEFT's a = √5: U(−1/√in, 1/√in)) and B
 * at zero, so a fresh adapter leaves the model unchanged.
 */

export interface LoraSettings {
  /** Rank r of the update. */
  r: number;
  /** lora_alpha: the update is scaled by alpha/r (alpha/√r with useRslora). */
  alpha: number;
  /** Dropout on the adapter's input while training (autograd on); 0: none. */
  dropout: number;
  /**
   * Linear layers to adapt, by module name or name suffix as PEFT matches them
   * (`query_key_value`, `dense`, …), or `all-linear`; null: the family's PEFT default.
   */
  targetModules: string[] | 'all-linear' | null;
  /** Rank-stabilised scaling alpha/√r instead of alpha/r. */
  useRslora: boolean;
}

/** PEFT's LoraConfig defaults (r 8, lora_alpha 8, lora_dropout 0, use_rslora false). */
export const LORA_DEFAULTS: LoraSettings = {
  r: 8,
  alpha: 8,
  dropout: 0,
  targetModules: null,
  useRslora: false,
};

/**
 * PEFT's default target modules per HF model_type (TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING),
 * used when targetModules is null.
 */
export const DEFAULT_TARGET_MODULES: Record<string, string[]> = {
  gpt_neox: ['query_key_value'],
  llama: ['q_proj', 'v_proj'],
  qwen2: ['q_proj', 'v_proj'],
};

/** The factor s of ΔW = s·B·A. */
export function loraScaling(s: Pick<LoraSettings, 'r' | 'alpha' | 'useRslora'>): number {
  return s.useRslora ? s.alpha / Math.sqrt(s.r) : s.alpha / s.r;
}

/** PEFT's rule: a module matches a target when its name is the target or ends with `.target`. */
export function matchesTarget(moduleName: string, targets: string[] | 'all-linear'): boolean {
  if (targets === 'all-linear') return true;
  return targets.some((t) => moduleName === t || moduleName.endsWith(`.${t}`));
}

/** The targets of `s` for a model of HF `modelType` (null targets: PEFT's default for that type). */
export function resolveTargets(s: LoraSettings, modelType: string): string[] | 'all-linear' {
  if (s.targetModules !== null) return s.targetModules;
  const fallback = DEFAULT_TARGET_MODULES[modelType];
  if (!fallback)
    throw new Error(
      `lora.targetModules: no default for model_type "${modelType}"; name the linear layers to adapt (or "all-linear")`,
    );
  return fallback;
}

/** Trainable adapter parameters: r·(in + out) for each adapted linear of shape [out, in]. */
export function loraParameterCount(
  linears: Iterable<[string, { in: number; out: number }]>,
  s: LoraSettings,
  modelType: string,
): number {
  const targets = resolveTargets(s, modelType);
  let n = 0;
  for (const [name, shape] of linears) if (matchesTarget(name, targets)) n += s.r * (shape.in + shape.out);
  return n;
}
