/**
 * Batched generation from left-padded prompts: greedy or sampled (temperature, top-k, top-p),
 * stopping each row at its first EOS (later positions are padding) and the whole batch once every
 * row has stopped or after maxNewTokens. Sampling is inverse-CDF from one uniform per row and
 * position: given as `noise` (keyed per row, see sampling-noise.ts) or drawn up front from a seeded
 * Generator; either way a row's tokens do not depend on `batchSize`, the rows decoded at once.
 * Returns per-token log-probs both of the raw policy (temperature 1, full vocabulary) and of the
 * processed distribution actually sampled.
 */
import {
  cat,
  full,
  type Generator,
  noGrad,
  rand,
  stack,
  type Tensor,
  tidy,
  where,
  zeros,
} from '../../tensor/index.ts';
import type { GPTNeoXForCausalLM } from '../gptneox/model.ts';
import { TokenDistribution } from '../token-distribution.ts';
import { processLogits, type SamplingSettings, validateSettings } from './logits-processing.ts';
import { CachedLogits, type NextTokenLogits, UncachedLogits } from './next-token-logits.ts';
import { decodeRecorded, type StepResult } from './recorded-decode.ts';

export interface GenerateOptions extends SamplingSettings {
  maxNewTokens: number;
  /** The end-of-sequence id; default: the tokenizer's. */
  eosId?: number;
  /** The id written after a row's EOS; default: the tokenizer's pad id (its EOS when it has none). */
  padId?: number;
  /** Where eosId and padId come from when they are not given (a Tokenizer). */
  tokenizer?: { readonly eosId: number; readonly padId: number };
  /** [B, maxNewTokens] uniforms in (0, 1), one per row and position: all the randomness of sampling. */
  noise?: Tensor;
  /** Without `noise`: the Generator the uniforms are drawn from (all rows' at once, before decoding). */
  gen?: Generator;
  /** Decode at most this many rows at once (memory: the KV cache and logits scale with it); default all. */
  batchSize?: number;
  /** Recompute the whole sequence each step instead of using the KV cache (only to test the cache). */
  uncached?: boolean;
  /**
   * 'native' (default): a static KV cache and the TypeScript decode step recorded once and replayed
   * by the addon, without returning to JavaScript per token (recorded-decode.ts).
   * 'eager': the step-by-step TypeScript loop over a growing cache, the reference the native loop
   * is tested against. `uncached` implies 'eager'.
   */
  decoder?: 'native' | 'eager';
}

/** Left-padded prompts: ids [B, P] int64 and mask [B, P] (1 = token; each row's tokens at the end). */
export interface Prompts {
  ids: Tensor;
  mask: Tensor;
}

/** All [B, R] with R ≤ maxNewTokens (generation stops early once every row has ended). */
export interface Generation {
  /** int64 response tokens; padId after a row's EOS. */
  tokens: Tensor;
  /** float32, 1 on response tokens (the EOS included), 0 on padding. */
  responseMask: Tensor;
  /** log π(y_t | ·) under the raw policy (temperature 1, no filtering); 0 on padding. */
  policyLogProbs: Tensor;
  /** log q(y_t | ·) under the processed distribution that was sampled (0 for greedy); 0 on padding. */
  samplingLogProbs: Tensor;
  /** Entropy of the raw policy at each step; 0 on padding. */
  policyEntropy: Tensor;
  /** Entropy of the processed distribution (0 for greedy); 0 on padding. */
  samplingEntropy: Tensor;
  /** [B] bool: the row produced EOS within the limit. */
  endedWithEos: Tensor;
}

/** One decoding step's [B] columns. */
export interface StepColumns {
  token: Tensor;
  valid: Tensor;
  policyLogProb: Tensor;
  samplingLogProb: Tensor;
  policyEntropy: Tensor;
  samplingEntropy: Tensor;
}

/** Whether the processed distribution is the raw policy (temperature 1, no top-k or top-p cut). */
function samplesRawPolicy(s: SamplingSettings, vocab: number): boolean {
  return (s.temperature ?? 1) === 1 && (s.topK ?? vocab) >= vocab && (s.topP ?? 1) >= 1;
}

/**
 * Chooses the next token of every row from logits [B, V] and scores it under both distributions.
 * Sampling straight from the raw policy scores once: its log-prob and entropy are also the sampling ones.
 */
function chooseTokens(
  logits: Tensor,
  uniforms: Tensor | null,
  s: GenerateOptions,
): Omit<StepColumns, 'valid'> {
  const policy = new TokenDistribution(logits);
  if (s.greedy) {
    const token = logits.argmax(-1);
    const zero = zeros(token.shape, { device: logits.device });
    const scored = policy.score(token);
    return {
      token,
      policyLogProb: scored.logProb,
      samplingLogProb: zero,
      policyEntropy: scored.entropy,
      samplingEntropy: zero,
    };
  }
  const raw = samplesRawPolicy(s, logits.dim(-1));
  const sampling = raw ? policy : new TokenDistribution(processLogits(logits, s), { filtered: true });
  const token = sampling.sample(uniforms!);
  // One fused pass per distribution: the token's log-prob and the entropy together.
  const policyScores = policy.score(token);
  const samplingScores = raw ? policyScores : sampling.score(token);
  return {
    token,
    policyLogProb: policyScores.logProb,
    samplingLogProb: samplingScores.logProb,
    policyEntropy: policyScores.entropy,
    samplingEntropy: samplingScores.entropy,
  };
}

/** One step's token choice for every row, given which rows had already ended (they get padId). */
function selectTokens(logits: Tensor, uniforms: Tensor | null, done: Tensor, o: ResolvedOptions): StepResult {
  const chosen = chooseTokens(logits, uniforms, o);
  const valid = done.logicalNot();
  const token = where(valid, chosen.token, o.padId);
  return { ...chosen, token, valid, finished: done.logicalOr(token.eq(o.eosId).logicalAnd(valid)) };
}

function checkPrompts(p: Prompts): void {
  if (p.ids.rank !== 2 || p.mask.shape.join() !== p.ids.shape.join())
    throw new Error(`prompt ids and mask must both be [B, P], got [${p.ids.shape}] and [${p.mask.shape}]`);
  const leftPadded = tidy(() => {
    const m = p.mask.ne(0).long();
    const nonDecreasing =
      m
        .slice(1, 1)
        .ge(m.slice(1, 0, -1))
        .all()
        .item() !== 0;
    return nonDecreasing && m.select(1, -1).all().item() !== 0;
  });
  if (!leftPadded)
    throw new Error('prompts must be left-padded with at least one token per row (mask 0…0 1…1)');
}

type ResolvedOptions = GenerateOptions & { eosId: number; padId: number };

/** eosId and padId as given, else the tokenizer's; an error naming both ways when neither is there. */
function withSpecialIds(o: GenerateOptions): ResolvedOptions {
  const eosId = o.eosId ?? o.tokenizer?.eosId;
  const padId = o.padId ?? o.tokenizer?.padId ?? eosId;
  if (eosId === undefined || padId === undefined)
    throw new Error(
      'generate needs the end-of-sequence id: pass { tokenizer } (its eosId and padId) or eosId',
    );
  return { ...o, eosId, padId };
}

function checkOptions(o: ResolvedOptions): void {
  if (!(Number.isInteger(o.maxNewTokens) && o.maxNewTokens >= 1))
    throw new Error(`maxNewTokens must be an integer ≥ 1, got ${o.maxNewTokens}`);
  if (o.batchSize !== undefined && !(Number.isInteger(o.batchSize) && o.batchSize >= 1))
    throw new Error(`batchSize must be an integer ≥ 1, got ${o.batchSize}`);
  if (!o.greedy) {
    validateSettings(o);
    if (!o.noise && !o.gen)
      throw new Error(
        'sampling needs its randomness: noise (keyed uniforms) or a seeded Generator (opts.gen); pass greedy: true for greedy decoding',
      );
  }
}

function checkNoise(noise: Tensor, rows: number, positions: number): void {
  if (noise.rank !== 2 || noise.dim(0) !== rows || noise.dim(1) < positions)
    throw new Error(
      `noise must be [${rows}, ≥ ${positions}] (one uniform per row and new token), got [${noise.shape}]`,
    );
}

/** Generates up to `maxNewTokens` tokens for every prompt (no autograd). */
export function generate(model: GPTNeoXForCausalLM, prompts: Prompts, options: GenerateOptions): Generation {
  checkPrompts(prompts);
  const opts = withSpecialIds(options);
  checkOptions(opts);
  const rows = prompts.ids.dim(0);
  return noGrad(() =>
    tidy(() => {
      let noise: Tensor | null = null;
      if (!opts.greedy) {
        noise =
          opts.noise ??
          rand([rows, opts.maxNewTokens], opts.gen, { dtype: 'float64', device: prompts.ids.device });
        checkNoise(noise, rows, opts.maxNewTokens);
      }
      const size = Math.min(opts.batchSize ?? rows, rows);
      const parts: Generation[] = [];
      for (let start = 0; start < rows; start += size) {
        const n = Math.min(size, rows - start);
        const chunk = (t: Tensor) => (n === rows ? t : t.narrow(0, start, n));
        const chunkPrompts = { ids: chunk(prompts.ids), mask: chunk(prompts.mask) };
        if (!opts.uncached && (opts.decoder ?? 'native') === 'native') {
          parts.push(
            decodeRecorded(model, chunkPrompts, noise && chunk(noise), opts, (logits, u, done) =>
              selectTokens(logits, u, done, opts),
            ),
          );
          continue;
        }
        const source: NextTokenLogits = opts.uncached ? new UncachedLogits(model) : new CachedLogits(model);
        try {
          parts.push(decode(source, chunkPrompts, noise && chunk(noise), opts));
        } finally {
          source.dispose();
        }
      }
      return parts.length === 1 ? parts[0]! : concatenate(parts, opts.padId);
    }),
  );
}

/** Chunks' generations as one, each padded to the longest (padId, mask 0, log-probs 0). */
function concatenate(parts: Generation[], padId: number): Generation {
  const R = parts.reduce((m, g) => Math.max(m, g.tokens.dim(1)), 0);
  const padded = (pick: (g: Generation) => Tensor, value: number) =>
    cat(
      parts.map((g) => {
        const t = pick(g);
        const missing = R - t.dim(1);
        if (missing === 0) return t;
        return cat([t, full([t.dim(0), missing], value, { dtype: t.dtype, device: t.device })], 1);
      }),
      0,
    );
  return {
    tokens: padded((g) => g.tokens, padId),
    responseMask: padded((g) => g.responseMask, 0),
    policyLogProbs: padded((g) => g.policyLogProbs, 0),
    samplingLogProbs: padded((g) => g.samplingLogProbs, 0),
    policyEntropy: padded((g) => g.policyEntropy, 0),
    samplingEntropy: padded((g) => g.samplingEntropy, 0),
    endedWithEos: cat(
      parts.map((g) => g.endedWithEos),
      0,
    ),
  };
}

function decode(
  source: NextTokenLogits,
  prompts: Prompts,
  noise: Tensor | null,
  o: ResolvedOptions,
): Generation {
  const columns: StepColumns[] = [];
  let finished = zeros([prompts.ids.dim(0)], { dtype: 'bool', device: prompts.ids.device });
  let logits = tidy(() => source.start(prompts.ids, prompts.mask));
  for (let step = 0; ; step++) {
    const done = finished;
    const col = tidy(() => selectTokens(logits, noise?.select(1, step) ?? null, done, o));
    logits.dispose();
    finished = col.finished;
    columns.push(col);
    if (step + 1 === o.maxNewTokens || finished.all().item() !== 0) break;
    logits = tidy(() => source.advance(col.token.unsqueeze(1)));
  }
  return assemble(columns, finished);
}

function assemble(columns: StepColumns[], finished: Tensor): Generation {
  const gather = (pick: (c: StepColumns) => Tensor) => stack(columns.map(pick), 1);
  const valid = gather((c) => c.valid);
  const masked = (pick: (c: StepColumns) => Tensor) => where(valid, gather(pick), 0);
  return {
    tokens: gather((c) => c.token),
    responseMask: valid.float(),
    policyLogProbs: masked((c) => c.policyLogProb),
    samplingLogProbs: masked((c) => c.samplingLogProb),
    policyEntropy: masked((c) => c.policyEntropy),
    samplingEntropy: masked((c) => c.samplingEntropy),
    endedWithEos: finished,
  };
}
