/**
 * A causal LM of any family as an online policy: sampling continues left-padded prompts with a KV cache;
 * scoring runs prompt + response once and takes only the response positions through the LM head.
 */
import { maskWithNextPosition } from '../../losses/index.ts';
import {
  type CausalLM,
  generate,
  loadCausalLM,
  loadOrInitValueHead,
  responseLogProbs,
  type ValueHead,
} from '../../models/index.ts';
import { cat, keep, type Tensor, tidy } from '../../tensor/index.ts';
import type {
  OnlinePolicy,
  PromptBatch,
  Rollout,
  SampleOptions,
  ScoreOptions,
  TokenScores,
} from '../online/types.ts';

export class LMPolicy implements OnlinePolicy {
  constructor(
    readonly model: CausalLM,
    readonly valueHead: ValueHead | null = null,
  ) {}

  /**
   * Loads a snapshot (on `device`, in `dtype`); `valueHead` also loads (or, seeded by `seed`,
   * initialises) PPO's value head.
   */
  static async load(
    dir: string,
    opts: {
      trainable: boolean;
      valueHead?: boolean;
      seed?: number;
      device?: string;
      dtype?: 'float32' | 'bfloat16';
    },
  ): Promise<LMPolicy> {
    const placement = { device: opts.device, dtype: opts.dtype };
    const model = await loadCausalLM(dir, { trainable: opts.trainable, ...placement });
    const head = opts.valueHead
      ? await loadOrInitValueHead(dir, model.config, opts.seed ?? 0, {
          trainable: opts.trainable,
          ...placement,
        })
      : null;
    return new LMPolicy(model, head);
  }

  get eosId(): number {
    const eos = this.model.config.eosTokenId;
    if (eos === null) throw new Error('the policy config has no eos_token_id: sampling cannot stop at EOS');
    return eos;
  }

  sample(prompts: PromptBatch, opts: SampleOptions): Rollout {
    const out = generate(
      this.model,
      { ids: prompts.ids, mask: prompts.mask },
      {
        maxNewTokens: opts.maxNewTokens,
        temperature: opts.temperature,
        noise: opts.noise,
        batchSize: opts.batchSize,
        eosId: this.eosId,
        padId: this.eosId,
      },
    );
    return {
      prompts,
      responseIds: out.tokens,
      responseMask: out.responseMask,
      endedWithEos: out.endedWithEos,
    };
  }

  /** Scores the rollout on the model's one scoring path: prompt + response once, response positions only. */
  score(rollout: Rollout, opts: ScoreOptions): TokenScores {
    return tidy(() => {
      const ids = cat([rollout.prompts.ids, rollout.responseIds], 1);
      const mask = cat([rollout.prompts.mask.to('float32'), rollout.responseMask.to('float32')], 1);
      const scores = responseLogProbs(this.model, ids, mask, rollout.prompts.ids.dim(1), {
        temperature: opts.temperature,
        entropy: true,
        logProbsAll: opts.full,
        hidden: opts.values && this.valueHead !== null,
      });
      const responseMask = rollout.responseMask;
      const out: TokenScores = {
        logps: scores.logProbs.mul(responseMask),
        entropy: scores.entropy!.mul(responseMask),
      };
      if (scores.logProbsAll) out.fullLogps = scores.logProbsAll;
      // Values also on the state after the response (the TL;DR PPO score placement reads it).
      if (scores.hidden && this.valueHead)
        out.values = this.valueHead.values(scores.hidden).mul(maskWithNextPosition(responseMask));
      return out;
    });
  }

  /** A frozen copy of the weights (no value head): π_{t−1} for the exact KL after an update. */
  snapshot(): LMPolicy & { dispose(): void } {
    const state = new Map([...this.model.parameters()].map(([name, t]) => [name, keep(t.detach().clone())]));
    const frozen = new LMPolicy(this.model.withState(state));
    return Object.assign(frozen, { dispose: () => frozen.model.dispose() });
  }

  parameters(): Map<string, Tensor> {
    const p = this.model.parameters();
    if (this.valueHead) for (const [k, v] of this.valueHead.parameters()) p.set(k, v);
    return p;
  }

  async save(dir: string): Promise<void> {
    await this.model.save(dir);
    if (this.valueHead) await this.valueHead.save(dir);
  }
}
