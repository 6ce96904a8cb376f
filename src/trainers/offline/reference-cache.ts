/**
 * Reference log-probs computed once per (reference model, data, tokenisation) and cached on disk,
 * so DPO-style training never runs the reference model twice, and resumes reuse the cache.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../io/atomic-write.ts';
import { noGrad, tensor, tidy } from '../../tensor/index.ts';
import type { DataParallel } from '../common/data-parallel.ts';
import type { EncodedPair } from './batching.ts';
import type { CausalLM } from './lm.ts';
import { pairLogps } from './sequence-logps.ts';

export interface ReferenceLogps {
  chosen: Float64Array;
  rejected: Float64Array;
}

/**
 * Cache key: the reference snapshot's weights file stamp (a LoRA adapter folder's adapter files)
 * and the exact token ids of every pair.
 */
export function referenceCacheKey(referenceDir: string, pairs: EncodedPair[]): string {
  const h = createHash('sha256');
  for (const f of [
    'model.safetensors',
    'model.safetensors.index.json',
    'config.json',
    'adapter_model.safetensors',
    'adapter_config.json',
  ]) {
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

/**
 * {@link cachedReferenceLogps} over data-parallel ranks: rank 0 decides whether its cache holds
 * them; if so it reads and broadcasts them, else every rank computes its contiguous share of the
 * pairs, the shares are summed into the whole on every rank, and rank 0 stores the cache.
 * `compute` gets this rank's [start, end) of the pairs.
 */
export async function sharedReferenceLogps(
  dp: DataParallel,
  cacheDir: string,
  key: string,
  size: number,
  compute: (start: number, end: number) => ReferenceLogps | Promise<ReferenceLogps>,
  log: (m: string) => void,
): Promise<ReferenceLogps> {
  const path = referenceCachePath(cacheDir, key);
  const cached = await dp.broadcastJson(dp.isMain && existsSync(path));
  const whole = tensor(new Float64Array(2 * size), { shape: [2, size], device: dp.device });
  try {
    if (cached) {
      if (dp.isMain) {
        const j = JSON.parse(readFileSync(path, 'utf8')) as { chosen: number[]; rejected: number[] };
        whole.copy_(tensor(Float64Array.from([...j.chosen, ...j.rejected]), { shape: [2, size] }));
        log(`reference log-probs: using cache ${path}`);
      }
      await dp.group.broadcast(whole, 0);
    } else {
      const [start, end] = dp.range(size);
      const mine = await compute(start, end);
      if (end > start) {
        tidy(() => {
          whole
            .select(0, 0)
            .slice(0, start, end)
            .copy_(tensor(mine.chosen, { device: dp.device }));
          whole
            .select(0, 1)
            .slice(0, start, end)
            .copy_(tensor(mine.rejected, { device: dp.device }));
        });
      }
      await dp.group.allReduce(whole, 'sum'); // each element is written by one rank only
    }
    const values = tidy(() => whole.to({ device: 'cpu' }).toTypedArray() as Float64Array);
    const out = { chosen: values.slice(0, size), rejected: values.slice(size) };
    if (!cached && dp.isMain) {
      mkdirSync(cacheDir, { recursive: true });
      writeFileAtomic(path, JSON.stringify({ chosen: [...out.chosen], rejected: [...out.rejected] }));
      log(`reference log-probs: computed for ${size} pairs over ${dp.worldSize} ranks, cached in ${path}`);
    }
    return out;
  } finally {
    whole.dispose();
  }
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
