/** A reward-model snapshot as the online trainer's reward r(x, y): read at the last real token. */
import type { RewardModel } from '../../models/index.ts';
import { cat, noGrad, tidy } from '../../tensor/index.ts';
import type { Rollout } from '../online/types.ts';

export function rewardFromModel(rm: RewardModel) {
  return (r: Rollout) =>
    noGrad(() =>
      tidy(() => {
        const ids = cat([r.prompts.ids, r.responseIds], 1);
        const mask = cat([r.prompts.mask.to('float32'), r.responseMask.to('float32')], 1);
        return rm.rewards(ids, mask).to('float64');
      }),
    );
}
