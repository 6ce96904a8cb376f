/**
 * Per-token log-probabilities and entropies, computed in float32 from logits without forming a
 * second vocabulary-wide buffer for the log-probs (gather − logsumexp), and — for a model — from
 * the response positions only: the LM head runs on the slice of hidden states that predicts them.
 */
import { type Tensor, tidy } from '../../tensor/index.ts';
import type { GPTNeoXForCausalLM } from './causal-lm.ts';

/** log softmax(logits)[target] for logits [.., V] and int64 targets [..] → float32 [..]. */
export function tokenLogProbs(logits: Tensor, targets: Tensor): Tensor {
  return tidy(() => {
    const z = logits.float();
    return z.gather(-1, targets.unsqueeze(-1)).squeeze(-1).sub(z.logsumexp(-1));
  });
}

/** Entropy −Σ p log p of softmax(logits) over the last dim → float32 [..]. */
export function tokenEntropy(logits: Tensor): Tensor {
  return tidy(() => {
    const z = logits.float();
    return z.logsumexp(-1).sub(z.softmax(-1).mul(z).sum(-1));
  });
}

export interface ResponseScoreOptions {
  /** Divide logits by this before scoring (the sampling temperature; default 1). */
  temperature?: number;
  /** Also return the per-token entropy of the (tempered) distribution. */
  entropy?: boolean;
  /** Also return the final hidden states of the positions that predict the response, [B, R, hidden]. */
  hidden?: boolean;
}

export interface ResponseScores {
  /** [B, R] float32 log π(y_t | x, y_<t). */
  logProbs: Tensor;
  entropy?: Tensor;
  hidden?: Tensor;
}

/**
 * Scores the response part of sequences ids [B, T] = prompt (left-padded, `responseStart` columns)
 * followed by R = T − responseStart response tokens, under attentionMask [B, T]. Only the R positions
 * that predict response tokens go through the LM head, so logits are [B, R, V], never [B, T, V].
 */
export function responseLogProbs(
  model: GPTNeoXForCausalLM,
  ids: Tensor,
  attentionMask: Tensor,
  responseStart: number,
  opts: ResponseScoreOptions = {},
): ResponseScores {
  const T = ids.dim(1);
  const R = T - responseStart;
  if (responseStart < 1 || R < 1)
    throw new Error(
      `responseStart must be in [1, ${T - 1}] for sequences of length ${T}, got ${responseStart}`,
    );
  return tidy(() => {
    const { hidden } = model.gptNeox.forward(ids, { attentionMask });
    const predicting = hidden.narrow(1, responseStart - 1, R);
    let logits = model.lmHead(predicting);
    if (opts.temperature !== undefined && opts.temperature !== 1)
      logits = logits.float().div(opts.temperature);
    const targets = ids.narrow(1, responseStart, R);
    return {
      logProbs: tokenLogProbs(logits, targets),
      ...(opts.entropy ? { entropy: tokenEntropy(logits) } : {}),
      ...(opts.hidden ? { hidden: predicting } : {}),
    };
  });
}
