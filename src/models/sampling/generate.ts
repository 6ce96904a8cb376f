/**
 * Batched generation from left-padded prompts: greedy or sampled (temperature, top-k, top-p) with a
 * seeded Generator, stopping each row at its first EOS (later positions are padding) and the whole
 * batch once every row has stopped or after maxNewTokens. Returns per-token log-probs both of the raw
 * policy (temperature 1, full vocabulary) and of the processed distribution actually sampled.
 */
import {
  type Generator,
  multinomial,
  noGrad,
  stack,
  type Tensor,
  tidy,
  where,
  zeros,
} from '../../tensor/index.ts';
import type { GPTNeoXForCausalLM } from '../gptneox/causal-lm.ts';
import { tokenEntropy, tokenLogProbs } from '../gptneox/log-probs.ts';
import { processLogits, type SamplingSettings, validateSettings } from './logits-processing.ts';
import { CachedLogits, type NextTokenLogits, UncachedLogits } from './next-token-logits.ts';

export interface GenerateOptions extends SamplingSettings {
  maxNewTokens: number;
  eosId: number;
  padId: number;
  /** Required unless greedy: all randomness comes from it. */
  gen?: Generator;
  /** Recompute the whole sequence each step instead of using the KV cache (only to test the cache). */
  uncached?: boolean;
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
interface StepColumns {
  token: Tensor;
  valid: Tensor;
  policyLogProb: Tensor;
  samplingLogProb: Tensor;
  policyEntropy: Tensor;
  samplingEntropy: Tensor;
}

/** Entropy of logits that may contain −∞ (filtered tokens contribute 0). */
function filteredEntropy(z: Tensor): Tensor {
  const logp = z.logSoftmax(-1);
  const plogp = logp.exp().mul(logp).maskedFill(z.eq(Number.NEGATIVE_INFINITY), 0);
  return plogp.sum(-1).neg();
}

/** Whether the processed distribution is the raw policy (temperature 1, no top-k or top-p cut). */
function samplesRawPolicy(s: SamplingSettings, vocab: number): boolean {
  return (s.temperature ?? 1) === 1 && (s.topK ?? vocab) >= vocab && (s.topP ?? 1) >= 1;
}

/**
 * Sampling straight from the raw policy: its log-prob and entropy are also the sampling ones, and
 * one logsumexp and one softmax serve the entropy, the draw and the log-prob (the same ops as
 * tokenEntropy, processLogits + softmax and tokenLogProbs, so the same values and tokens).
 */
function sampleRawPolicy(raw: Tensor, gen: Generator | undefined): Omit<StepColumns, 'valid'> {
  const lse = raw.logsumexp(-1);
  const probs = raw.softmax(-1);
  const entropy = lse.sub(probs.mul(raw).sum(-1));
  const token = multinomial(probs, 1, { gen }).squeeze(1);
  const logProb = raw.gather(-1, token.unsqueeze(-1)).squeeze(-1).sub(lse);
  return {
    token,
    policyLogProb: logProb,
    samplingLogProb: logProb,
    policyEntropy: entropy,
    samplingEntropy: entropy,
  };
}

/** Chooses the next token of every row from logits [B, V] and scores it under both distributions. */
function chooseTokens(logits: Tensor, s: GenerateOptions): Omit<StepColumns, 'valid'> {
  const raw = logits.float();
  if (!s.greedy && samplesRawPolicy(s, raw.dim(-1))) return sampleRawPolicy(raw, s.gen);
  const policyEntropy = tokenEntropy(raw);
  if (s.greedy) {
    const token = raw.argmax(-1);
    const zero = zeros(token.shape, { device: raw.device });
    return {
      token,
      policyLogProb: tokenLogProbs(raw, token),
      samplingLogProb: zero,
      policyEntropy,
      samplingEntropy: zero,
    };
  }
  const z = processLogits(raw, s);
  const token = multinomial(z.softmax(-1), 1, { gen: s.gen }).squeeze(1);
  return {
    token,
    policyLogProb: tokenLogProbs(raw, token),
    samplingLogProb: tokenLogProbs(z, token),
    policyEntropy,
    samplingEntropy: filteredEntropy(z),
  };
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

function checkOptions(o: GenerateOptions): void {
  if (!(Number.isInteger(o.maxNewTokens) && o.maxNewTokens >= 1))
    throw new Error(`maxNewTokens must be an integer ≥ 1, got ${o.maxNewTokens}`);
  if (!o.greedy) {
    validateSettings(o);
    if (!o.gen)
      throw new Error('sampling needs a seeded Generator (opts.gen); pass greedy: true for greedy decoding');
  }
}

/** Generates up to `maxNewTokens` tokens for every prompt (no autograd). */
export function generate(model: GPTNeoXForCausalLM, prompts: Prompts, opts: GenerateOptions): Generation {
  checkPrompts(prompts);
  checkOptions(opts);
  const source: NextTokenLogits = opts.uncached ? new UncachedLogits(model) : new CachedLogits(model);
  try {
    return noGrad(() => tidy(() => decode(source, prompts, opts)));
  } finally {
    source.dispose();
  }
}

function decode(source: NextTokenLogits, prompts: Prompts, o: GenerateOptions): Generation {
  const columns: StepColumns[] = [];
  let finished = zeros([prompts.ids.dim(0)], { dtype: 'bool', device: prompts.ids.device });
  let logits = tidy(() => source.start(prompts.ids, prompts.mask));
  for (let step = 0; ; step++) {
    const done = finished;
    const col = tidy(() => {
      const chosen = chooseTokens(logits, o);
      const valid = done.logicalNot();
      const token = where(valid, chosen.token, o.padId);
      return { ...chosen, token, valid, finished: done.logicalOr(token.eq(o.eosId).logicalAnd(valid)) };
    });
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
