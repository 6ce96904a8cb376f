/**
 * The thread policy (src/native/thread-policy.ts), measured: KV-cached sampling of a pythia-70m shape
 * (random init, vocabulary 50304) with torch's intra-op pool at 1 thread and at every core, in one
 * process, alternating short rounds (load on a shared machine drifts), each count's best run. The
 * policy's own choice for this build is marked. OpenBLAS keeps its own pool (OPENBLAS_NUM_THREADS,
 * default all cores) throughout; MKL runs on the intra-op pool.
 *
 *   node bin/run-ts.mjs bench/index.ts threads
 */
import { availableParallelism } from 'node:os';
import { GPTNeoXForCausalLM, generate, initStateDict, namedConfig } from '../src/models/index.ts';
import {
  defaultThreadPolicy,
  dispose,
  Generator,
  getNumThreads,
  randint,
  setNumThreads,
  tidy,
} from '../src/tensor/index.ts';

export interface ThreadsRow {
  threads: number;
  tokensPerSecond: number;
  policy: boolean;
}

const SPEC = { model: 'pythia-70m', prompts: 4, promptLen: 32, newTokens: 16, rounds: 2, repeats: 2 };

export function runThreadsBench(): { table: string; notes: string[] } {
  const policy = defaultThreadPolicy();
  const cores = availableParallelism();
  const counts = [...new Set([1, cores])];
  const config = namedConfig(SPEC.model, 50304);
  const model = new GPTNeoXForCausalLM(config, initStateDict(config, 'causal-lm', new Generator(0)));
  const ids = randint(1, config.vocabSize, [SPEC.prompts, SPEC.promptLen], new Generator(1));
  const mask = tidy(() => ids.mul(0).add(1));
  const sampleOnce = () =>
    tidy(() => {
      generate(
        model,
        { ids, mask },
        { maxNewTokens: SPEC.newTokens, eosId: -1, padId: 0, temperature: 1, gen: new Generator(7) },
      );
    });
  const before = getNumThreads();
  const best = new Map(counts.map((n) => [n, Number.POSITIVE_INFINITY]));
  for (let round = 0; round < SPEC.rounds; round++)
    for (const n of counts) {
      setNumThreads(n);
      if (round === 0) sampleOnce(); // warm-up at this count (thread pool start, allocator)
      for (let r = 0; r < SPEC.repeats; r++) {
        const t0 = process.hrtime.bigint();
        sampleOnce();
        best.set(n, Math.min(best.get(n)!, Number(process.hrtime.bigint() - t0) / 1e9));
      }
    }
  setNumThreads(before);
  dispose([ids, mask]);
  model.dispose();
  const tokens = SPEC.prompts * SPEC.newTokens;
  const rows: ThreadsRow[] = counts.map((n) => ({
    threads: n,
    tokensPerSecond: tokens / best.get(n)!,
    policy: n === policy.intraOp,
  }));
  const lines = [
    '| torch intra-op threads | sampling tokens/s | the policy picks it |',
    '|---:|---:|:---:|',
    ...rows.map((r) => `| ${r.threads} | ${r.tokensPerSecond.toFixed(0)} | ${r.policy ? 'yes' : ''} |`),
  ];
  return {
    table: lines.join('\n'),
    notes: [
      `${SPEC.model} shape, random init: ${SPEC.prompts} prompts × ${SPEC.promptLen} tokens, ${SPEC.newTokens} new tokens each, KV-cached, temperature 1; best of ${SPEC.rounds * SPEC.repeats} runs per count, counts alternating.`,
      `BLAS: ${policy.blas}; policy: ${policy.reason}; OPENBLAS_NUM_THREADS=${process.env.OPENBLAS_NUM_THREADS ?? 'unset'}; ${cores} cores.`,
    ],
  };
}
