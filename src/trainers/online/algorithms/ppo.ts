/**
 * PPO for RLHF (Schulman et al. 2017; details as in Huang et al. 2024, the TL;DR PPO study):
 * per-token rewards (score on the last token + regularizer rewards), GAE with a value head,
 * advantage whitening, several epochs of clipped-surrogate minibatch updates.
 */
import { gae, maskedWhiten, ppoPolicyLoss, ppoValueLoss } from '../../../losses/index.ts';
import { tidy } from '../../../tensor/index.ts';
import { regularizerLoss } from '../regularizers.ts';
import { selectRows, tokenRewards } from '../rollout-ops.ts';
import { MeanMeter, minibatchIndices } from './minibatches.ts';
import type { LearnContext, OnlineAlgorithm } from './types.ts';

export interface PpoConfig {
  epochs: number;
  minibatchSize: number;
  clip: number;
  valueClip: number;
  valueCoef: number;
  gamma: number;
  lambda: number;
  whitenRewards: boolean;
}

export function ppo(cfg: PpoConfig): OnlineAlgorithm {
  return { name: 'ppo', samplesPerPrompt: 1, needsValues: true, learn: (ctx) => learn(cfg, ctx) };
}

function learn(cfg: PpoConfig, ctx: LearnContext): Record<string, number> {
  const mask = ctx.rollout.responseMask;
  const { advantages, returns } = tidy(() => {
    let rewards = tokenRewards(ctx.scores, ctx.nonScore, mask);
    if (cfg.whitenRewards) rewards = maskedWhiten(rewards, mask, false);
    const est = gae(rewards, ctx.oldValues!, mask, cfg.gamma, cfg.lambda);
    return { advantages: maskedWhiten(est.advantages, mask), returns: est.returns };
  });
  const meter = new MeanMeter();
  for (let epoch = 0; epoch < cfg.epochs; epoch++) {
    for (const idx of minibatchIndices(mask.dim(0), cfg.minibatchSize, ctx.gen)) {
      tidy(() => {
        const mb = selectRows(ctx.rollout, idx);
        const s = ctx.policy.score(mb, { temperature: ctx.temperature, values: true });
        const m = mb.responseMask;
        const old = ctx.oldLogps.indexSelect(0, idx);
        const pl = ppoPolicyLoss(s.logps, old, advantages.indexSelect(0, idx), m, cfg.clip);
        const vl = ppoValueLoss(
          s.values!,
          ctx.oldValues!.indexSelect(0, idx),
          returns.indexSelect(0, idx),
          m,
          cfg.valueClip,
        );
        const ref = ctx.refLogps ? ctx.refLogps.indexSelect(0, idx) : null;
        const loss = pl.loss
          .add(vl.loss.mul(cfg.valueCoef))
          .add(regularizerLoss(ctx.regularizers, s.logps, s.entropy, ref, m));
        ctx.update(loss);
        meter.add({
          'loss/policy_avg': pl.loss.item(),
          'loss/value_avg': vl.loss.item(),
          'policy/approxkl_avg': pl.approxKl.item(),
          'policy/clipfrac_avg': pl.clipfrac.item(),
          'val/clipfrac_avg': vl.clipfrac.item(),
          'val/ratio': pl.ratio.item(),
        });
      });
      idx.dispose();
    }
  }
  advantages.dispose();
  returns.dispose();
  return meter.means();
}
