/**
 * Config files (YAML or JSON) validated by zod schemas. Every error names the file and the key
 * path (`optimizer.lr: must be > 0`); unknown keys are errors, so a typo never silently falls
 * back to a default.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function formatIssues(source: string, issues: z.core.$ZodIssue[]): string {
  const lines = issues.map((i) => {
    const path = i.path.length ? i.path.join('.') : '(top level)';
    // zod 4 already names unrecognized keys in its message; older messages did not.
    const named = (i as { keys?: string[] }).keys ?? [];
    const missing = i.code === 'unrecognized_keys' ? named.filter((k) => !i.message.includes(`"${k}"`)) : [];
    const keys = missing.length ? ` ${missing.map((k) => `"${k}"`).join(', ')}` : '';
    return `  ${path}: ${i.message}${keys}`;
  });
  return `invalid config ${source}:\n${lines.join('\n')}`;
}

/** Validates a plain object against a schema, naming `source` (a file, or "--set flags") in errors. */
export function validateConfig<S extends z.ZodType>(schema: S, value: unknown, source: string): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw new ConfigError(formatIssues(source, result.error.issues));
  return result.data;
}

/** Reads and validates a YAML/JSON config file. */
export function loadConfigFile<S extends z.ZodType>(
  schema: S,
  path: string,
  overrides: Record<string, unknown> = {},
): z.output<S> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config ${path}: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new ConfigError(`config ${path} is not valid YAML/JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  if (raw !== null && raw !== undefined && (typeof raw !== 'object' || Array.isArray(raw))) {
    throw new ConfigError(`config ${path} must be a mapping of keys to values`);
  }
  return validateConfig(schema, deepMerge((raw ?? {}) as Record<string, unknown>, overrides), path);
}

/** Applies `a.b.c=value` overrides (values parsed as YAML scalars). */
export function parseOverrides(pairs: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--set expects key=value, got "${pair}"`);
    const keys = pair.slice(0, eq).split('.');
    let cur = out;
    for (const k of keys.slice(0, -1)) {
      cur[k] ??= {};
      cur = cur[k] as Record<string, unknown>;
    }
    cur[keys[keys.length - 1]!] = parseYaml(pair.slice(eq + 1));
  }
  return out;
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = isPlain(prev) && isPlain(v) ? deepMerge(prev, v) : v;
  }
  return out;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
