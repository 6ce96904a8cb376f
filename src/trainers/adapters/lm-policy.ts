/**
 * A GPT-NeoX causal LM as an online policy: sampling continues left-padded prompts with a KV cache;
 * scoring runs prompt + response once and takes only the response positions through the LM head.
 */
import { loadCausalLM, loadOrInitValueHead } from '../../models/checkpoint/load-model.ts';
import type { GPTNeoXForCausalLM } from '../../models/gptneox/causal-lm.ts';
import type { ValueHead } from '../../models/gptneox/value-head.ts';
import { generate } from '../../models/sampling/generate.ts';
import { type Tensor, cat, noGrad, tidy } from '../../tensor/index.ts';
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
    readonly model: GPTNeoXForCausalLM,
    readonly valueHead: ValueHead | null = null,
  ) {}

  static async load(
    dir: string,
    o: { trainable: boolean; valueHead?: boolean; seed?: number },
  ): Promise<LMPolicy> {
    const model = await loadCausalLM(dir, { trainable: o.trainable });
    const head = o.valueHead
      ? await loadOrInitValueHead(dir, model.config, o.seed ?? 0, { trainable: o.trainable })
      : null;
    return new LMPolicy(model, head);
  }

  get eosId(): number {
    const eos = this.model.config.eosTokenId;
    if (eos === null) throw new Error('the policy config has no eos_token_id: sampling cannot stop at EOS');
    return eos;
  }

  sample(prompts: PromptBatch, o: SampleOptions): Rollout {
    const out = generate(
      this.model,
      { ids: prompts.ids, mask: prompts.mask },
      {
        maxNewTokens: o.maxNewTokens,
        temperature: o.temperature,
        gen: o.gen,
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

  score(r: Rollout, o: ScoreOptions): TokenScores {
    return tidy(() => {
      const P = r.prompts.ids.dim(1);
      const R = r.responseIds.dim(1);
      const ids = cat([r.prompts.ids, r.responseIds], 1);
      const mask = cat([r.prompts.mask.to('float32'), r.responseMask.to('float32')], 1);
      const { hidden } = this.model.gptNeox.forward(ids, { attentionMask: mask });
      const predicting = hidden.narrow(1, P - 1, R);
      const logp = this.model.lmHead(predicting).float().div(o.temperature).logSoftmax(-1);
      const logps = logp.gather(2, r.responseIds.unsqueeze(2)).squeeze(2);
      const entropy = logp.exp().mul(logp).sum(-1).neg();
      const out: TokenScores = { logps: logps.mul(r.responseMask), entropy: entropy.mul(r.responseMask) };
      if (o.full) out.fullLogps = logp;
      if (o.values && this.valueHead) out.values = this.valueHead.values(predicting).mul(r.responseMask);
      return out;
    });
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
