/**
 * RLOO (Ahmadian et al. 2024, "Back to Basics"): k samples per prompt; each sample's advantage is
 * its sequence return minus the mean return of the other k−1 samples of the same prompt. The
 * sequence return is the score plus the summed regularizer rewards. The surrogate is the
 * token-level clipped ratio with the sequence advantage, which equals REINFORCE on the first epoch.
 * REINFORCE with a batch-mean baseline is the same piece with k = 1.
 */
import { maskedWhiten, ppoPolicyLoss, rlooAdvantages } from '../../../losses/index.ts';
import { type Tensor, tidy } from '../../../tensor/index.ts';
import { regularizerLoss } from '../regularizers.ts';
import { selectRows } from '../rollout-ops.ts';
import { MeanMeter, minibatchIndices } from './minibatches.ts';
import type { LearnContext, OnlineAlgorithm } from './types.ts';

export interface RlooConfig {
  /** Samples per prompt (RLOO; ignored by REINFORCE). */
  k: number;
  epochs: number;
  minibatchSize: number;
  clip: number;
  whitenAdvantages: boolean;
}

export function rloo(cfg: RlooConfig): OnlineAlgorithm {
  if (cfg.k < 2) throw new Error(`rloo.k must be >= 2, got ${cfg.k}`);
  return {
    name: 'rloo',
    samplesPerPrompt: cfg.k,
    needsValues: false,
    learn: (ctx) => learn(cfg, ctx, (ret) => rlooAdvantages(ret, cfg.k)),
  };
}

export function reinforce(cfg: Omit<RlooConfig, 'k'>): OnlineAlgorithm {
  const baseline = (ret: Tensor) => ret.sub(ret.mean());
  return {
    name: 'reinforce',
    samplesPerPrompt: 1,
    needsValues: false,
    learn: (ctx) => learn({ ...cfg, k: 1 }, ctx, baseline),
  };
}

function learn(
  cfg: RlooConfig,
  ctx: LearnContext,
  advantageOf: (returns: Tensor) => Tensor,
): Record<string, number> {
  const mask = ctx.rollout.responseMask;
  const tokenAdvantages = tidy(() => {
    const returns = ctx.scores.add(ctx.nonScore.sum(1));
    let adv = advantageOf(returns);
    if (cfg.whitenAdvantages && adv.dim(0) > 1) adv = maskedWhiten(adv, adv.mul(0).add(1));
    return adv.unsqueeze(1).mul(mask);
  });
  const meter = new MeanMeter();
  for (let epoch = 0; epoch < cfg.epochs; epoch++) {
    for (const idx of minibatchIndices(mask.dim(0), cfg.minibatchSize, ctx.gen)) {
      tidy(() => {
        const mb = selectRows(ctx.rollout, idx);
        const s = ctx.policy.score(mb, { temperature: ctx.temperature });
        const m = mb.responseMask;
        const pl = ppoPolicyLoss(
          s.logps,
          ctx.oldLogps.indexSelect(0, idx),
          tokenAdvantages.indexSelect(0, idx),
          m,
          cfg.clip,
        );
        const ref = ctx.refLogps ? ctx.refLogps.indexSelect(0, idx) : null;
        ctx.update(pl.loss.add(regularizerLoss(ctx.regularizers, s.logps, s.entropy, ref, m)));
        meter.add({
          'loss/policy_avg': pl.loss.item(),
          'policy/approxkl_avg': pl.approxKl.item(),
          'policy/clipfrac_avg': pl.clipfrac.item(),
        });
      });
      idx.dispose();
    }
  }
  tokenAdvantages.dispose();
  return meter.means();
}
