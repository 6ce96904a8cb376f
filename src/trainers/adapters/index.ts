/**
 * Adapters from the model layer (GPT-NeoX snapshots, tokenizer) to the trainers' interfaces, used
 * by the CLI and the lab. Trainers themselves only know CausalLM / RewardModel / OnlinePolicy.
 */
import { mkdirSync } from 'node:fs';
import {
  GPTNeoXForCausalLM,
  type GPTNeoXRewardModel,
  generate,
  initStateDict,
  loadCausalLM,
  loadRewardModel,
  namedConfig,
  samplingNoise,
  Tokenizer,
} from '../../models/index.ts';
import { Generator, noGrad, type Tensor, tidy } from '../../tensor/index.ts';
import type { PromptSource, RewardFunction } from '../online/types.ts';
import { CRITIC_PREFIX, RewardModelCritic } from './critic.ts';
import { LMPolicy } from './lm-policy.ts';
import { rewardFromModel } from './reward-function.ts';
import { decodeResponses, leftPadded, promptSource } from './text-io.ts';

export {
  CRITIC_PREFIX,
  decodeResponses,
  LMPolicy,
  leftPadded,
  promptSource,
  RewardModelCritic,
  rewardFromModel,
};

export interface TinyModelSpec {
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  tokenizerDir: string;
  seed: number;
  maxPositions: number;
}

export interface ProxyReward {
  model: GPTNeoXRewardModel;
  tokenizer: Tokenizer;
  reward: RewardFunction;
}

/**
 * Snapshot folders as the lab and the `rl` command use them: each model comes with the tokenizer of
 * its own folder, and text goes in and out through the tokenizer it is given (no state is kept
 * between calls). Prompts keep their last `maxPromptTokens` tokens.
 */
export class LabModels {
  constructor(readonly maxPromptTokens = 64) {}

  /** Writes a freshly initialised tiny GPT-NeoX with the tokenizer of `spec.tokenizerDir`. */
  async initModel(dir: string, spec: TinyModelSpec): Promise<void> {
    const tokenizer = await Tokenizer.fromFolder(spec.tokenizerDir);
    const config = {
      ...namedConfig('pythia-tiny', tokenizer.vocabSize, tokenizer.eosId),
      hiddenSize: spec.hidden,
      numHiddenLayers: spec.layers,
      numAttentionHeads: spec.heads,
      intermediateSize: spec.intermediate,
      maxPositionEmbeddings: spec.maxPositions,
    };
    const model = new GPTNeoXForCausalLM(
      config,
      initStateDict(config, 'causal-lm', new Generator(spec.seed)),
    );
    model.tokenizerDir = spec.tokenizerDir;
    mkdirSync(dir, { recursive: true });
    await model.save(dir);
    model.dispose();
  }

  async loadCausalLM(dir: string): Promise<{ model: GPTNeoXForCausalLM; tokenizer: Tokenizer }> {
    const tokenizer = await Tokenizer.fromFolder(dir);
    return { model: await loadCausalLM(dir, { trainable: true }), tokenizer };
  }

  /** A trainable reward model; a causal-LM snapshot gets a score head drawn with `seed`. */
  async loadRewardModel(
    dir: string,
    opts: { seed: number },
  ): Promise<{ model: GPTNeoXRewardModel; tokenizer: Tokenizer }> {
    const tokenizer = await Tokenizer.fromFolder(dir);
    return { model: await loadRewardModel(dir, { trainable: true, initScoreSeed: opts.seed }), tokenizer };
  }

  async loadPolicy(
    dir: string,
    opts: { trainable: boolean; valueHead?: boolean },
  ): Promise<LMPolicy & { tokenizer: Tokenizer }> {
    const tokenizer = await Tokenizer.fromFolder(dir);
    return Object.assign(await LMPolicy.load(dir, opts), { tokenizer });
  }

  /** A frozen reward-model snapshot as the online trainer's reward r(x, y). */
  async loadRewardFunction(
    dir: string,
    opts: { device?: string; dtype?: 'float32' | 'bfloat16' } = {},
  ): Promise<ProxyReward> {
    const tokenizer = await Tokenizer.fromFolder(dir);
    const model = await loadRewardModel(dir, opts);
    return { model, tokenizer, reward: rewardFromModel(model) };
  }

  promptSource(tokenizer: Tokenizer, prompts: string[]): PromptSource {
    return promptSource(tokenizer, prompts, this.maxPromptTokens);
  }

  /** The policy's responses to `prompts` as text: greedy, or sampled at `temperature` with `seed`. */
  sampleTexts(
    policy: LMPolicy & { tokenizer: Tokenizer },
    prompts: string[],
    opts: { greedy?: boolean; temperature: number; seed: number; maxNewTokens: number },
  ): string[] {
    return noGrad(() =>
      tidy(() => {
        const batch = this.promptSource(policy.tokenizer, prompts).batch(prompts.map((_, i) => i));
        const out = generate(
          policy.model,
          { ids: batch.ids, mask: batch.mask },
          {
            maxNewTokens: opts.maxNewTokens,
            eosId: policy.eosId,
            padId: policy.eosId,
            ...(opts.greedy
              ? { greedy: true }
              : {
                  temperature: opts.temperature,
                  noise: samplingNoise(
                    prompts.map((_, i) => ({ seed: opts.seed, step: 0, prompt: i, sample: 0 })),
                    opts.maxNewTokens,
                    batch.ids.device,
                  ),
                }),
          },
        );
        return decodeResponses(policy.tokenizer, {
          prompts: batch,
          responseIds: out.tokens,
          responseMask: out.responseMask,
          endedWithEos: out.endedWithEos,
        });
      }),
    );
  }

  /** The proxy reward model's mean reward of `texts` as responses to `prompts`. */
  scoreTexts(proxy: ProxyReward, prompts: readonly string[], texts: readonly string[]): number {
    return noGrad(() => tidy(() => this.proxyRewards(proxy, prompts, texts).mean().item()));
  }

  /** The proxy reward model's reward of each of `texts` as the response to the prompt at its index. */
  scoreEach(proxy: ProxyReward, prompts: readonly string[], texts: readonly string[]): number[] {
    return noGrad(() => tidy(() => this.proxyRewards(proxy, prompts, texts).toArray()));
  }

  /** [N] rewards of prompt + text, each prompt keeping its last maxPromptTokens tokens. */
  private proxyRewards(proxy: ProxyReward, prompts: readonly string[], texts: readonly string[]): Tensor {
    const encoded = prompts.map((p, i) => [
      ...proxy.tokenizer.encode(p).slice(-this.maxPromptTokens),
      ...proxy.tokenizer.encode(texts[i]!),
    ]);
    const batch = leftPadded(
      encoded,
      proxy.tokenizer.padId,
      encoded.map((_, i) => i),
    );
    return proxy.model.rewards(batch.ids, batch.mask);
  }
}
