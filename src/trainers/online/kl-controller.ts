/**
 * The adaptive KL controller of Ziegler et al. 2019 ("Fine-Tuning Language Models from Human
 * Preferences", §2.2), as their lm-human-preferences code and the TL;DR PPO work run it: after each
 * rollout with measured KL_t (nats per response) over n episodes,
 *   e_t = clip(KL_t / KL_target − 1, −0.2, 0.2),   β_{t+1} = β_t·(1 + e_t · n / horizon).
 * The paper writes K_β for n/horizon. β rises while the policy drifts past the target and decays
 * while it stays inside; horizon (in episodes) sets how fast.
 */
export interface AdaptiveKlSettings {
  /** KL_target, nats per response. */
  target: number;
  /** Episodes over which a sustained 20% error changes β by a factor ≈ e^{0.2}. */
  horizon: number;
}

/** β_{t+1} from β_t, the measured KL and the episodes of the step. */
export function nextKlCoef(
  beta: number,
  measuredKl: number,
  episodes: number,
  s: AdaptiveKlSettings,
): number {
  const error = Math.min(0.2, Math.max(-0.2, measuredKl / s.target - 1));
  return beta * (1 + (error * episodes) / s.horizon);
}

/** β over a run: fixed when `settings` is null, else updated after every step. */
export class KlCoefficient {
  constructor(
    public value: number,
    private readonly settings: AdaptiveKlSettings | null,
  ) {}

  update(measuredKl: number, episodes: number): void {
    if (this.settings && Number.isFinite(measuredKl))
      this.value = nextKlCoef(this.value, measuredKl, episodes, this.settings);
  }
}
