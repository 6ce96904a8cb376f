/**
 * Sweep files and their grid: learning rate × regularizer (rl) or loss (po) × coefficient × seed
 * over one base config. Expansion is a pure function: the same file always gives the same runs,
 * in the same order, with the same folder names.
 */
import { z } from 'zod';
import { PREFERENCE_LOSSES, type PreferenceLossName } from '../../losses/index.ts';
import { REGULARIZER_KINDS, type RegularizerKind } from '../../trainers/online/config.ts';

export const REGULARIZERS = REGULARIZER_KINDS;
export { PREFERENCE_LOSSES };
export type Regularizer = RegularizerKind;
export type PreferenceLoss = PreferenceLossName;

const positive = z.number().positive();
const axis = <T extends z.ZodType>(item: T) => z.array(item).min(1);

export const SweepGridSchema = z
  .object({
    lr: axis(positive).optional().describe("learning rates (optim.lr); absent: the base config's"),
    regularizer: axis(z.enum(REGULARIZERS))
      .optional()
      .describe(
        'rl only: the regularizer of each run: kl (regularizer.kl on, entropy off), entropy, kl+entropy (both) or none',
      ),
    loss: axis(z.enum(PREFERENCE_LOSSES)).optional().describe('po only: the preference loss of each run'),
    coef: z
      .union([axis(positive), z.record(z.string(), axis(positive))])
      .optional()
      .describe(
        'coefficients: a list for every run, or a map from regularizer (rl) / loss (po) to its own list. rl: kl → regularizer.kl.coef (β), entropy and kl+entropy → regularizer.entropy.coef (α), none takes none; po: beta. A regularizer or loss missing from the map keeps the base value',
      ),
    seed: axis(z.number().int().nonnegative()).optional().describe("seeds (the runs' `seed`)"),
  })
  .strict();

export const SweepConfigSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only (it is a folder name)')
      .describe('sweep name: its runs are folders under out/<name>/'),
    kind: z.enum(['rl', 'po']).describe('the command every run uses: rl (online) or po (offline preference)'),
    base: z
      .string()
      .min(1)
      .describe("base config of every run (an rl or po config file), relative to the sweep file's folder"),
    out: z.string().min(1).default('runs/sweeps').describe('parent folder of the sweep'),
    set: z
      .record(z.string(), z.unknown())
      .default({})
      .describe('overrides applied to the base config for every run (nested keys, as in the base file)'),
    grid: SweepGridSchema.default({}).describe("the axes; an absent axis keeps the base config's value"),
  })
  .strict()
  .superRefine((s, ctx) => {
    const wrong = s.kind === 'rl' ? 'loss' : 'regularizer';
    if (s.grid[wrong] !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['grid', wrong],
        message: `not an axis of a ${s.kind} sweep (use ${s.kind === 'rl' ? 'regularizer' : 'loss'})`,
      });
    const coef = s.grid.coef;
    if (coef && !Array.isArray(coef)) {
      const known: readonly string[] = s.kind === 'rl' ? REGULARIZERS : PREFERENCE_LOSSES;
      for (const key of Object.keys(coef))
        if (!known.includes(key) || key === 'none')
          ctx.addIssue({
            code: 'custom',
            path: ['grid', 'coef', key],
            message: `not a ${s.kind === 'rl' ? 'regularizer with a coefficient' : 'loss'}: expected one of ${known.filter((k) => k !== 'none').join(', ')}`,
          });
    }
    for (const [key, values] of Object.entries(s.grid)) {
      const lists: unknown[][] = Array.isArray(values)
        ? [values]
        : Object.values(values as Record<string, number[]>);
      for (const list of lists)
        if (new Set(list).size !== list.length)
          ctx.addIssue({ code: 'custom', path: ['grid', key], message: 'has a repeated value' });
    }
  });

export type SweepConfig = z.output<typeof SweepConfigSchema>;
export type SweepGrid = z.output<typeof SweepGridSchema>;

/** One run of a sweep: its folder name, the config overrides, and the grid values it took. */
export interface GridPoint {
  name: string;
  overrides: Record<string, unknown>;
  values: { lr?: number; regularizer?: Regularizer; loss?: PreferenceLoss; coef?: number; seed?: number };
}

/** 1e-6 → "1e-6", 3e-4 → "3e-4", 0.05 → "0.05", 2 → "2". */
export function formatGridNumber(v: number): string {
  return v !== 0 && Math.abs(v) < 1e-3 ? v.toExponential() : String(v);
}

const RL_PREFIX: Record<Regularizer, string> = {
  kl: 'kl',
  entropy: 'maxent',
  'kl+entropy': 'kl-maxent',
  none: 'none',
};

/** The coefficient list for one regularizer or loss (undefined: not an axis for it). */
function coefsFor(coef: SweepGrid['coef'], key: string): number[] | undefined {
  if (coef === undefined) return undefined;
  return Array.isArray(coef) ? coef : coef[key];
}

/**
 * Expands a sweep grid into runs, in the order lr → regularizer/loss → coef → seed. `base` gives the
 * base config's regularizer kind (rl) or loss (po), which names runs and routes `coef` when the grid
 * has no regularizer/loss axis.
 */
export function expandGrid(
  s: { kind: 'rl' | 'po'; grid: SweepGrid },
  base: { regularizer?: Regularizer; loss?: PreferenceLoss },
): GridPoint[] {
  const g = s.grid;
  const lrs: (number | undefined)[] = g.lr ?? [undefined];
  const seeds: (number | undefined)[] = g.seed ?? [undefined];
  const points: GridPoint[] = [];
  for (const lr of lrs) {
    const methods =
      s.kind === 'rl' ? (g.regularizer ?? [base.regularizer ?? 'kl']) : (g.loss ?? [base.loss ?? 'dpo']);
    for (const method of methods) {
      const coefList: (number | undefined)[] =
        method === 'none' ? [undefined] : (coefsFor(g.coef, method) ?? [undefined]);
      for (const coef of coefList)
        for (const seed of seeds) {
          const values: GridPoint['values'] = {};
          if (lr !== undefined) values.lr = lr;
          if (s.kind === 'rl' && (g.regularizer || g.coef)) values.regularizer = method as Regularizer;
          if (s.kind === 'po' && (g.loss || g.coef)) values.loss = method as PreferenceLoss;
          if (coef !== undefined) values.coef = coef;
          if (seed !== undefined) values.seed = seed;
          points.push({
            name: pointName(s.kind, values),
            overrides: pointOverrides(s.kind, values, method, Boolean(g.regularizer || g.loss)),
            values,
          });
        }
    }
  }
  const names = points.map((p) => p.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new Error(`the grid gives two runs the same folder name "${dup}"`);
  return points;
}

function pointName(kind: 'rl' | 'po', v: GridPoint['values']): string {
  const parts: string[] = [];
  const c = v.coef === undefined ? '' : formatGridNumber(v.coef);
  if (kind === 'rl' && v.regularizer) {
    const letter = v.regularizer === 'kl' ? 'b' : 'a';
    parts.push(c ? `${RL_PREFIX[v.regularizer]}-${letter}${c}` : RL_PREFIX[v.regularizer]);
  } else if (kind === 'po' && v.loss) parts.push(c ? `${v.loss}-b${c}` : v.loss);
  else if (c) parts.push(`c${c}`);
  if (v.lr !== undefined) parts.push(`lr${formatGridNumber(v.lr)}`);
  if (v.seed !== undefined) parts.push(`s${v.seed}`);
  return parts.length ? parts.join('-') : 'base';
}

function pointOverrides(
  kind: 'rl' | 'po',
  v: GridPoint['values'],
  method: string,
  methodAxis: boolean,
): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (v.seed !== undefined) o.seed = v.seed;
  if (kind === 'rl') {
    const regularizer = regularizerOverrides(method as Regularizer, v.coef, methodAxis);
    if (Object.keys(regularizer).length) o.regularizer = regularizer;
  } else {
    if (methodAxis) o.loss = method;
    if (v.coef !== undefined) o.beta = v.coef;
  }
  if (v.lr !== undefined) o.optim = { lr: v.lr };
  return o;
}

/**
 * The regularizer blocks of one rl run. With a regularizer axis both blocks are set, the one that is
 * off to null (a block that stays on keeps the base config's settings); the coefficient goes to β
 * for kl and to α otherwise.
 */
function regularizerOverrides(
  kind: Regularizer,
  coef: number | undefined,
  methodAxis: boolean,
): Record<string, unknown> {
  const coefBlock = kind === 'kl' ? 'kl' : 'entropy';
  const o: Record<string, unknown> = {};
  if (methodAxis) {
    o.kl = kind === 'kl' || kind === 'kl+entropy' ? {} : null;
    o.entropy = kind === 'entropy' || kind === 'kl+entropy' ? {} : null;
  }
  if (coef !== undefined) o[coefBlock] = { coef };
  return o;
}

/** Deep merge of plain objects (later wins; arrays and scalars are replaced). */
export function mergeConfig(...layers: Record<string, unknown>[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const layer of layers)
    for (const [k, v] of Object.entries(layer)) {
      const prev = out[k];
      out[k] = isPlain(prev) && isPlain(v) ? mergeConfig(prev, v) : v;
    }
  return out;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
