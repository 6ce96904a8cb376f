/**
 * Resolving a requested relative path to a file inside a root folder, refusing everything that could
 * leave it: `..` segments (however encoded: the router decodes once before we see the path),
 * absolute paths, backslashes, NUL bytes, and symbolic links whose target lies outside the root.
 */
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, resolve, sep } from 'node:path';

/** The file to serve, or the HTTP status that refuses the request. */
export type SafeResolution = { ok: true; path: string } | { ok: false; status: 403 | 404 };

const FORBIDDEN: SafeResolution = { ok: false, status: 403 };
const NOT_FOUND: SafeResolution = { ok: false, status: 404 };

/** True when `path` is `root` itself or lies below it (both absolute and normalised). */
export function isWithin(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** True when a decoded relative request path tries to name something outside its root. */
export function isTraversal(requested: string): boolean {
  if (requested.includes('\0') || requested.includes('\\')) return true;
  if (isAbsolute(requested) || /^[a-zA-Z]:/.test(requested)) return true;
  return requested.split('/').some((segment) => segment === '..');
}

/**
 * The real path of the regular file `requested` names under `root`, or 403 (traversal, or a link
 * leading outside) or 404 (missing, or not a regular file).
 */
export async function resolveWithin(root: string, requested: string): Promise<SafeResolution> {
  if (isTraversal(requested)) return FORBIDDEN;
  const realRoot = await realpath(root).catch(() => null);
  if (realRoot === null) return NOT_FOUND;
  const lexical = resolve(realRoot, requested);
  if (!isWithin(realRoot, lexical)) return FORBIDDEN;
  const real = await realpath(lexical).catch(() => null);
  if (real === null) return NOT_FOUND;
  if (!isWithin(realRoot, real)) return FORBIDDEN;
  const stats = await stat(real).catch(() => null);
  return stats?.isFile() ? { ok: true, path: real } : NOT_FOUND;
}
