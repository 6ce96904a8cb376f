/**
 * A causal LM of any family as an online policy: sampling continues left-padded prompts with a KV cache;
 * scoring runs prompt + response once and takes only the response positions through the LM head.
 */
import { maskWithNextPosition } from '../../losses/index.ts';
import {
  type CausalLM,
  generate,
  type LoraAdapters,
  type LoraSettings,
  loadCausalLM,
  loadOrInitValueHead,
  responseLogProbs,
  type ValueHead,
} from '../../models/index.ts';
import { cat, dispose, type Generator, keep, type Tensor, tidy } from '../../tensor/index.ts';
import type {
  OnlinePolicy,
  PromptBatch,
  Rollout,
  SampleOptions,
  ScoreOptions,
  TokenScores,
} from '../online/types.ts';
import { attachLora, LORA_DROPOUT_RNG, LoraCausalLM } from './lora-models.ts';

export class LMPolicy implements OnlinePolicy {
  constructor(
    readonly model: CausalLM,
    readonly valueHead: ValueHead | null = null,
    /** LoRA adapters inside the model (then only they and the value head train), with their base folder. */
    readonly lora: { adapters: LoraAdapters; baseDir: string } | null = null,
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
      /** Train LoRA adapters (drawn with `seed`) on the frozen model instead of every weight. */
      lora?: LoraSettings | null;
    },
  ): Promise<LMPolicy> {
    const placement = { device: opts.device, dtype: opts.dtype };
    const withLora = Boolean(opts.lora && opts.trainable);
    const model = await loadCausalLM(dir, { trainable: opts.trainable && !withLora, ...placement });
    const head = opts.valueHead
      ? await loadOrInitValueHead(dir, model.config, opts.seed ?? 0, {
          trainable: opts.trainable,
          ...placement,
        })
      : null;
    if (!withLora) return new LMPolicy(model, head);
    try {
      const adapters = attachLora(model, opts.lora!, dir, opts.seed ?? 0);
      return new LMPolicy(model, head, { adapters, baseDir: dir });
    } catch (e) {
      model.dispose();
      head?.dispose();
      throw e;
    }
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

  /**
   * A frozen copy of the policy (no value head): π_{t−1} for the exact KL after an update. With
   * LoRA only the adapters are copied; the copy scores with them in place of the live ones.
   */
  snapshot(): LMPolicy & { dispose(): void } {
    if (this.lora) {
      const adapters = this.lora.adapters;
      const copies = new Map([...adapters.parameters()].map(([n, t]) => [n, keep(t.detach().clone())]));
      const frozen = new LMPolicy(this.model);
      return Object.assign(frozen, {
        score: (rollout: Rollout, opts: ScoreOptions) =>
          adapters.withFactors(copies, () => LMPolicy.prototype.score.call(frozen, rollout, opts)),
        dispose: () => dispose([...copies.values()]),
      });
    }
    const state = new Map([...this.model.parameters()].map(([name, t]) => [name, keep(t.detach().clone())]));
    const frozen = new LMPolicy(this.model.withState(state));
    return Object.assign(frozen, { dispose: () => frozen.model.dispose() });
  }

  /**
   * The reference with LoRA: this policy with its adapters disabled (the base model, sharing its
   * weights; no value head). Null without adapters.
   */
  adaptersDisabled(): OnlinePolicy | null {
    if (!this.lora) return null;
    const adapters = this.lora.adapters;
    const base = new LMPolicy(this.model);
    return {
      sample: (prompts, opts) => adapters.withDisabled(() => base.sample(prompts, opts)),
      score: (rollout, opts) => adapters.withDisabled(() => base.score(rollout, opts)),
      parameters: () => new Map(),
    };
  }

  rngs(): Record<string, Generator> {
    return this.lora ? { [LORA_DROPOUT_RNG]: this.lora.adapters.gen } : {};
  }

  parameters(): Map<string, Tensor> {
    const p = this.lora ? this.lora.adapters.parameters() : this.model.parameters();
    if (this.valueHead) for (const [k, v] of this.valueHead.parameters()) p.set(k, v);
    return p;
  }

  /** An HF snapshot, or with LoRA PEFT's adapter folder; PPO's value head beside it. */
  async save(dir: string): Promise<void> {
    if (this.lora) await new LoraCausalLM(this.model, this.lora.adapters, this.lora.baseDir).save(dir);
    else await this.model.save(dir);
    if (this.valueHead) await this.valueHead.save(dir);
  }
}
