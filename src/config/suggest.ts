/**
 * "Did you mean" for unknown config keys: the keys a schema accepts at the path, ranked by
 * edit distance (after snake_case → camelCase, so `warmup_steps` finds `warmupSteps`), and for a
 * TRL name the key it translates to (src/config/trl.ts).
 */
import type { z } from 'zod';

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  in?: z.ZodType;
  innerType?: z.ZodType;
  options?: z.ZodType[];
}

const defOf = (s: z.ZodType) => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The object schema inside wrappers (default, nullable, optional, prefault, pipe/transform). */
function objectShape(schema: z.ZodType): Record<string, z.ZodType> | null {
  let s: z.ZodType | undefined = schema;
  for (let depth = 0; s && depth < 16; depth++) {
    const def = defOf(s);
    if (def.type === 'object') return def.shape ?? null;
    s = def.type === 'pipe' ? def.in : def.innerType;
  }
  return null;
}

/** The keys an object schema accepts at `path` (empty when the path leads elsewhere). */
export function keysAt(schema: z.ZodType, path: readonly (string | number)[]): string[] {
  let shape = objectShape(schema);
  for (const key of path) {
    const next = shape?.[String(key)];
    shape = next ? objectShape(next) : null;
  }
  return shape ? Object.keys(shape) : [];
}

export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

const camel = (key: string) => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** The closest known key, if one is close enough to be a typo (case and snake_case forgiven). */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const target = camel(key).toLowerCase();
  let best: { key: string; d: number } | undefined;
  for (const k of known) {
    const d = editDistance(target, k.toLowerCase());
    if (!best || d < best.d) best = { key: k, d };
  }
  return best && best.d <= Math.max(1, Math.floor(target.length / 4)) ? best.key : undefined;
}
