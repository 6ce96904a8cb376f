/** The preference losses by config name, in a module without tensors (the CLI's help lists them without loading libtorch). */
/** Every preference loss by its config name; the first five need a reference model. */
export const PREFERENCE_LOSSES = [
  'dpo',
  'cdpo',
  'robust',
  'ipo',
  'hinge',
  'simpo',
  'cpo',
  'cpo-simpo',
  'orpo',
] as const;
export type PreferenceLossName = (typeof PREFERENCE_LOSSES)[number];

/** Losses that need a reference model (its log-probs are cached once, see trainers/offline). */
export const REFERENCE_LOSSES: ReadonlySet<PreferenceLossName> = new Set([
  'dpo',
  'cdpo',
  'robust',
  'ipo',
  'hinge',
]);
