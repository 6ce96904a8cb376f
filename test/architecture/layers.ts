/**
 * The layers of src/, bottom up: test/architecture/layering.test.ts holds the code to them, and
 * scripts/iteration-files.ts orders the files of one training iteration by them.
 */
/** Bottom up; each entry a folder or file under src/ (a file's unit is its longest matching entry). */
export const LAYERS: string[][] = [
  ['native'],
  ['tensor', 'util'],
  ['io', 'distributed'],
  ['data', 'judges', 'config', 'runs', 'losses', 'models/token-distribution.ts', 'models/tokenizer'],
  ['models/gptneox'],
  ['models/checkpoint', 'models/model-limits.ts'],
  ['models/sampling'],
  ['models/index.ts'],
  ['theory', 'lab/task'],
  ['trainers/common'],
  ['trainers/online', 'trainers/offline'],
  ['trainers/adapters', 'trainers/memory-plan.ts'],
  ['trainers/memory-budget.ts'],
  ['experiments', 'report'],
  ['lab/demo', 'lab/sweep', 'dashboard'],
  ['cli'],
  ['api'],
  ['index.ts', 'bin.ts'],
];

const UNITS = LAYERS.flatMap((units, layer) => units.map((unit) => ({ unit, layer })));

/** The unit of a file (path relative to src/), or undefined when no layer names it. */
export function unitOf(file: string): { unit: string; layer: number } | undefined {
  const matches = UNITS.filter(({ unit }) => file === unit || file.startsWith(`${unit}/`));
  return matches.sort((a, b) => b.unit.length - a.unit.length)[0];
}
