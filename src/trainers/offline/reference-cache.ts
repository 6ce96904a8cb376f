/**
 * Reference log-probs computed once per (reference model, data, tokenisation) and cached on disk,
 * so DPO-style training never runs the reference model twice, and resumes reuse the cache.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { noGrad, tidy } from '../../tensor/index.ts';
import { writeFileAtomic } from '../common/atomic-fs.ts';
import type { EncodedPair } from './batching.ts';
import type { CausalLM } from './lm.ts';
import { pairLogps } from './sequence-logps.ts';

export interface ReferenceLogps {
  chosen: Float64Array;
  rejected: Float64Array;
}

/** Cache key: the reference snapshot's weights file stamp and the exact token ids of every pair. */
export function referenceCacheKey(referenceDir: string, pairs: EncodedPair[]): string {
  const h = createHash('sha256');
  for (const f of ['model.safetensors', 'model.safetensors.index.json', 'config.json']) {
    const p = join(referenceDir, f);
    if (existsSync(p)) h.update(`${f}:${statSync(p).size}:${statSync(p).mtimeMs}`);
  }
  for (const p of pairs)
    h.update(
      `${p.chosen.ids.join(',')}|${p.chosen.promptLength}|${p.rejected.ids.join(',')}|${p.rejected.promptLength};`,
    );
  return h.digest('hex').slice(0, 32);
}

export function computeReferenceLogps(
  reference: CausalLM,
  pairs: EncodedPair[],
  padId: number,
  batchSize: number,
): ReferenceLogps {
  const chosen = new Float64Array(pairs.length);
  const rejected = new Float64Array(pairs.length);
  noGrad(() => {
    for (let start = 0; start < pairs.length; start += batchSize) {
      tidy(() => {
        const slice = pairs.slice(start, start + batchSize);
        const l = pairLogps(reference, slice, padId);
        l.chosen.sum.toArray().forEach((v, i) => {
          chosen[start + i] = v;
        });
        l.rejected.sum.toArray().forEach((v, i) => {
          rejected[start + i] = v;
        });
      });
    }
  });
  return { chosen, rejected };
}

export function referenceCachePath(cacheDir: string, key: string): string {
  return join(cacheDir, `ref-logps-${key}.json`);
}

/** Loads cached reference log-probs or computes and stores them (atomically). */
export function cachedReferenceLogps(
  cacheDir: string,
  key: string,
  compute: () => ReferenceLogps,
  log: (m: string) => void,
): ReferenceLogps {
  const path = referenceCachePath(cacheDir, key);
  if (existsSync(path)) {
    let j: { chosen: number[]; rejected: number[] };
    try {
      j = JSON.parse(readFileSync(path, 'utf8')) as typeof j;
    } catch (e) {
      throw new Error(
        `reference log-probs cache ${path} is not valid JSON (${(e as Error).message}): delete it to recompute`,
      );
    }
    log(`reference log-probs: using cache ${path}`);
    return { chosen: Float64Array.from(j.chosen), rejected: Float64Array.from(j.rejected) };
  }
  const out = compute();
  mkdirSync(cacheDir, { recursive: true });
  writeFileAtomic(path, JSON.stringify({ chosen: [...out.chosen], rejected: [...out.rejected] }));
  log(`reference log-probs: computed for ${out.chosen.length} pairs, cached in ${path}`);
  return out;
}
