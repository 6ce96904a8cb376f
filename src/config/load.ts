/**
 * Config files (YAML or JSON) validated by zod schemas. Every error names the file and the key
 * path (`optimizer.lr: must be > 0`); unknown keys are errors, so a typo never silently falls
 * back to a default.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { closestKey, keysAt } from './suggest.ts';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** A key path set from the command line, and the flag that set it (`--set optim.lr=1e-6`). */
export interface OverrideSource {
  path: string[];
  flag: string;
}

/** The flag whose key path covers an issue's path (or the unrecognized key it names), if any. */
function blame(issue: z.core.$ZodIssue, sources: readonly OverrideSource[]): string | undefined {
  const path = issue.path.map(String);
  const keys = issue.code === 'unrecognized_keys' ? ((issue as { keys?: string[] }).keys ?? []) : [];
  const targets = keys.length ? keys.map((k) => [...path, k]) : [path];
  const prefix = (a: string[], b: string[]) => a.length <= b.length && a.every((k, i) => k === b[i]);
  const found = sources.find((s) =>
    targets.some((t) => prefix(s.path, t) || (keys.length > 0 && prefix(t, s.path))),
  );
  return found?.flag;
}

/** How to read a config before validation, and what to suggest for unknown keys. */
export interface ConfigReading {
  /** Rewrites the file's mapping before overrides and validation (e.g. TRL names → ours). */
  prepare?: (raw: Record<string, unknown>) => Record<string, unknown>;
  /** A hint for an unknown key at the top level (e.g. the key a TRL name translates to). */
  hint?: (key: string) => string | undefined;
}

/** "did you mean" for each unknown key of an issue: a near key at its path, or the hint. */
function suggestions(
  issue: z.core.$ZodIssue,
  schema: z.ZodType | undefined,
  hint?: (key: string) => string | undefined,
): string {
  if (issue.code !== 'unrecognized_keys' || !schema) return '';
  const known = keysAt(schema, issue.path as (string | number)[]);
  const notes = ((issue as { keys?: string[] }).keys ?? []).flatMap((key) => {
    const near = closestKey(key, known);
    const other = issue.path.length === 0 ? hint?.(key) : undefined;
    if (other) return [`"${key}": ${other}`];
    return near ? [`"${key}": did you mean "${near}"?`] : [];
  });
  return notes.length ? `; ${notes.join('; ')}` : '';
}

function formatIssues(
  source: string,
  issues: z.core.$ZodIssue[],
  sources: readonly OverrideSource[],
  schema?: z.ZodType,
  hint?: (key: string) => string | undefined,
): string {
  const blamed = issues.map((i) => blame(i, sources));
  const lines = issues.map((i, n) => {
    const path = i.path.length ? i.path.join('.') : '(top level)';
    // zod 4 already names unrecognized keys in its message; older messages did not.
    const named = (i as { keys?: string[] }).keys ?? [];
    const missing = i.code === 'unrecognized_keys' ? named.filter((k) => !i.message.includes(`"${k}"`)) : [];
    const keys = missing.length ? ` ${missing.map((k) => `"${k}"`).join(', ')}` : '';
    return `  ${path}: ${i.message}${keys}${suggestions(i, schema, hint)}${blamed[n] ? ` (from ${blamed[n]})` : ''}`;
  });
  const header = blamed.every((f) => f !== undefined)
    ? `invalid ${[...new Set(blamed)].join(', ')} (overriding config ${source})`
    : `invalid config ${source}`;
  return `${header}:\n${lines.join('\n')}`;
}

/**
 * Validates a plain object against a schema, naming `source` (a file, or "--set flags") in errors;
 * an error at a key path set by one of `sources` names that flag.
 */
export function validateConfig<S extends z.ZodType>(
  schema: S,
  value: unknown,
  source: string,
  sources: readonly OverrideSource[] = [],
  hint?: (key: string) => string | undefined,
): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (!result.success)
    throw new ConfigError(formatIssues(source, result.error.issues, sources, schema, hint));
  return result.data;
}

/**
 * Reads and validates a YAML/JSON config file, with `overrides` merged over it; errors at a key
 * path that one of `sources` set name that flag instead of the file.
 */
export function loadConfigFile<S extends z.ZodType>(
  schema: S,
  path: string,
  overrides: Record<string, unknown> = {},
  sources: readonly OverrideSource[] = [],
  reading: ConfigReading = {},
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
  const unsafe = findUnsafeKey(raw);
  if (unsafe !== null) throw new ConfigError(`config ${path}: "${unsafe}" is not a config key`);
  let mapping = (raw ?? {}) as Record<string, unknown>;
  if (reading.prepare) {
    try {
      mapping = reading.prepare(mapping);
    } catch (e) {
      throw new ConfigError(`config ${path}: ${(e as Error).message}`);
    }
  }
  return validateConfig(schema, deepMerge(mapping, overrides), path, sources, reading.hint);
}

/**
 * A config from a YAML/JSON file (its path) or from an object holding the same keys, `overrides`
 * merged over it, validated; errors name the file (or "object") and the key path.
 */
export function loadConfigSource<S extends z.ZodType>(
  schema: S,
  source: string | object,
  overrides: Record<string, unknown> = {},
  sources: readonly OverrideSource[] = [],
  reading: ConfigReading = {},
): z.output<S> {
  if (typeof source === 'string') return loadConfigFile(schema, source, overrides, sources, reading);
  let mapping = source as Record<string, unknown>;
  if (reading.prepare) {
    try {
      mapping = reading.prepare(mapping);
    } catch (e) {
      throw new ConfigError(`config object: ${(e as Error).message}`);
    }
  }
  return validateConfig(schema, deepMerge(mapping, overrides), 'object', sources, reading.hint);
}

/**
 * Applies `a.b.c=value` overrides (values parsed as YAML). Each pair's key path and flag is
 * appended to `sources`, for errors that name the flag (see {@link loadConfigFile}).
 */
export function parseOverrides(pairs: string[], sources: OverrideSource[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const flag = `--set ${pair}`;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--set expects key=value, got "${pair}"`);
    const keys = pair.slice(0, eq).split('.');
    if (keys.some((k) => k === '')) throw new ConfigError(`${flag}: empty key in "${pair.slice(0, eq)}"`);
    const unsafe = keys.find(isUnsafeKey);
    if (unsafe !== undefined) throw new ConfigError(`${flag}: "${unsafe}" is not a config key`);
    let value: unknown;
    try {
      value = parseYaml(pair.slice(eq + 1));
    } catch (e) {
      throw new ConfigError(`${flag}: the value is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
    }
    let cur = out;
    for (const k of keys.slice(0, -1)) {
      if (!isPlain(cur[k])) cur[k] = {};
      cur = cur[k] as Record<string, unknown>;
    }
    cur[keys[keys.length - 1]!] = value;
    sources.push({ path: keys, flag });
  }
  return out;
}

/**
 * Keys that would reach an object's prototype when assigned (`__proto__.polluted=1` would set
 * Object.prototype.polluted): never config keys, refused wherever keys are read.
 */
const UNSAFE_KEYS = new Set(['__proto__', 'prototype', 'constructor']);

function isUnsafeKey(k: string): boolean {
  return UNSAFE_KEYS.has(k);
}

/** The dotted path of the first unsafe key anywhere in a parsed document, or null. */
export function findUnsafeKey(value: unknown, prefix = ''): string | null {
  if (typeof value !== 'object' || value === null) return null;
  for (const k of Object.keys(value)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (isUnsafeKey(k)) return path;
    const inner = findUnsafeKey((value as Record<string, unknown>)[k], path);
    if (inner !== null) return inner;
  }
  return null;
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (isUnsafeKey(k)) throw new ConfigError(`"${k}" is not a config key`);
    const prev = out[k];
    out[k] = isPlain(prev) && isPlain(v) ? deepMerge(prev, v) : v;
  }
  return out;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
