/**
 * Simulated human labelling: a pair of summaries is labelled by the Bradley-Terry model on gold
 * scores, P(a ≻ b) = σ((score_a − score_b) / temperature), so close pairs are noisy and clear pairs
 * are almost always labelled right, like human labellers. Temperature 0 is the noiseless labeller
 * (ties still split by a coin flip).
 */
import type { LabFacts } from './facts.ts';
import { goldScore } from './gold-score.ts';
import type { Rng } from './rng.ts';

/** Default labelling temperature (in gold-score units). */
export const DEFAULT_LABEL_TEMPERATURE = 0.5;

export interface GoldPreferenceOptions {
  /** Bradley-Terry temperature ≥ 0; default {@link DEFAULT_LABEL_TEMPERATURE}. */
  temperature?: number;
}

export interface GoldPreference {
  /** Whether the labeller preferred `a`. */
  preferA: boolean;
  /** P(a ≻ b) under the labelling model. */
  probabilityA: number;
  scoreA: number;
  scoreB: number;
}

/** The logistic function, computed without overflow for large |x|. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** P(a ≻ b) for gold scores `scoreA`, `scoreB` at this temperature. */
export function preferenceProbability(scoreA: number, scoreB: number, temperature: number): number {
  if (!(temperature >= 0) || !Number.isFinite(temperature)) {
    throw new Error(`label temperature must be a finite number ≥ 0, got ${temperature}`);
  }
  if (temperature === 0) return scoreA === scoreB ? 0.5 : scoreA > scoreB ? 1 : 0;
  return sigmoid((scoreA - scoreB) / temperature);
}

/** Labels the pair (a, b) of summaries of one post; draws exactly one number from `rng`. */
export function goldPreference(
  facts: LabFacts,
  a: string,
  b: string,
  rng: Rng,
  opts: GoldPreferenceOptions = {},
): GoldPreference {
  const scoreA = goldScore(facts, a).score;
  const scoreB = goldScore(facts, b).score;
  const probabilityA = preferenceProbability(scoreA, scoreB, opts.temperature ?? DEFAULT_LABEL_TEMPERATURE);
  return { preferA: rng() < probabilityA, probabilityA, scoreA, scoreB };
}
