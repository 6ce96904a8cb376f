/**
 * Reward-model output normalisation as the TL;DR PPO work does it (Huang et al. 2024, detail
 * "reward normalisation"): after training, score (prompt, reference response) pairs — the SFT set's
 * human summaries — and subtract their mean from every reward, so that a reference summary scores
 * 0 on average and the policy's score reads as "better or worse than the reference". The mean is
 * stored with the model (reward_normalization.json beside the weights; their `config.bias`).
 */
import { noGrad, type Tensor, tidy } from '../../tensor/index.ts';
import { collate, type LengthLimits, tokenizeExample } from './batching.ts';
import type { TextTokenizer } from './lm.ts';

export interface NormalizableRewardModel {
  rewards(ids: Tensor, attentionMask: Tensor): Tensor;
  rewardBias: number;
  rewardBiasSource: Record<string, unknown>;
}

export interface RewardBiasMeasurement {
  /** Mean raw reward (before any bias) over the pairs. */
  mean: number;
  std: number;
  count: number;
}

/** Mean raw reward of `pairs` (prompt + reference completion + EOS, encoded as in training). */
export function measureRewardBias(
  model: NormalizableRewardModel,
  tokenizer: TextTokenizer,
  pairs: { prompt: string; completion: string }[],
  o: LengthLimits & { batchSize: number },
): RewardBiasMeasurement {
  if (pairs.length === 0) throw new Error('reward normalisation needs at least one (prompt, reference) pair');
  const saved = model.rewardBias;
  model.rewardBias = 0; // measure the raw reward, whatever bias the model carries now
  const values: number[] = [];
  try {
    for (let start = 0; start < pairs.length; start += o.batchSize) {
      const batch = pairs
        .slice(start, start + o.batchSize)
        .map((p) => tokenizeExample(tokenizer, p.prompt, p.completion, o));
      values.push(
        ...noGrad(() =>
          tidy(() => {
            const { ids, attentionMask } = collate(batch, tokenizer.padId);
            return model.rewards(ids, attentionMask).toArray();
          }),
        ),
      );
    }
  } finally {
    model.rewardBias = saved;
  }
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance =
    values.length > 1 ? values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1) : 0;
  return { mean, std: Math.sqrt(variance), count: values.length };
}

/** Measures the bias on `pairs` and sets it on the model (saved with it on the next save). */
export function normalizeRewardModel(
  model: NormalizableRewardModel,
  tokenizer: TextTokenizer,
  pairs: { prompt: string; completion: string }[],
  o: LengthLimits & { batchSize: number; source: string },
): RewardBiasMeasurement {
  const m = measureRewardBias(model, tokenizer, pairs, o);
  model.rewardBias = m.mean;
  model.rewardBiasSource = { source: o.source, count: m.count, std_before: m.std };
  return m;
}
