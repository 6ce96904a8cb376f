/**
 * Adapters from the model layer (GPT-NeoX snapshots, tokenizer) to the trainers' interfaces, used
 * by the CLI and the lab. Trainers themselves only know CausalLM / RewardModel / OnlinePolicy.
 */
import { mkdirSync } from 'node:fs';
import {
  type CausalLM,
  causalLMFor,
  generate,
  initModelStateDict,
  llamaNamedConfig,
  loadCausalLM,
  loadRewardModel,
  type ModelConfig,
  namedConfig,
  type RewardModel,
  samplingNoise,
  Tokenizer,
} from '../../models/index.ts';
import { Generator, noGrad, type Tensor, tidy } from '../../tensor/index.ts';
import type { PromptSource, RewardFunction } from '../online/types.ts';
import { CRITIC_PREFIX, RewardModelCritic } from './critic.ts';
import { LMPolicy } from './lm-policy.ts';
import {
  attachLora,
  LORA_DROPOUT_RNG,
  LoraCausalLM,
  LoraRewardModel,
  sharesReference,
} from './lora-models.ts';
import { rewardFromModel } from './reward-function.ts';
import { decodeResponses, leftPadded, promptSource } from './text-io.ts';

export {
  attachLora,
  CRITIC_PREFIX,
  decodeResponses,
  LMPolicy,
  LORA_DROPOUT_RNG,
  LoraCausalLM,
  LoraRewardModel,
  leftPadded,
  promptSource,
  RewardModelCritic,
  rewardFromModel,
  sharesReference,
};

export interface TinyModelSpec {
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  tokenizerDir: string;
  seed: number;
  maxPositions: number;
  /**
   * The architecture: 'gpt_neox' (default: Pythia-shaped), 'llama' (Llama/SmolLM-shaped: RMSNorm,
   * SwiGLU, grouped-query attention with `kvHeads` key/value heads, untied head) or 'qwen2'
   * (Qwen2-shaped: the same with q/k/v biases and a tied head).
   */
  family?: 'gpt_neox' | 'llama' | 'qwen2';
  /** Key/value heads of a Llama/Qwen2 policy (default: half the heads when even, else all). */
  kvHeads?: number;
}

/** The config of a freshly initialised lab model of `spec`'s family and sizes. */
export function tinyModelConfig(spec: TinyModelSpec, vocabSize: number, eosId: number): ModelConfig {
  const sizes = {
    hiddenSize: spec.hidden,
    numHiddenLayers: spec.layers,
    numAttentionHeads: spec.heads,
    intermediateSize: spec.intermediate,
    maxPositionEmbeddings: spec.maxPositions,
  };
  const family = spec.family ?? 'gpt_neox';
  if (family === 'gpt_neox') return { ...namedConfig('pythia-tiny', vocabSize, eosId), ...sizes };
  return {
    ...llamaNamedConfig(`${family}-tiny`, vocabSize, eosId),
    ...sizes,
    numKeyValueHeads: spec.kvHeads ?? (spec.heads % 2 === 0 ? spec.heads / 2 : spec.heads),
    headDim: spec.hidden / spec.heads,
  };
}

export interface ProxyReward {
  model: RewardModel;
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

  /** Writes a freshly initialised tiny model of `spec.family` with the tokenizer of `spec.tokenizerDir`. */
  async initModel(dir: string, spec: TinyModelSpec): Promise<void> {
    const tokenizer = await Tokenizer.fromFolder(spec.tokenizerDir);
    const config = tinyModelConfig(spec, tokenizer.vocabSize, tokenizer.eosId);
    const model = causalLMFor(config, initModelStateDict(config, 'causal-lm', new Generator(spec.seed)));
    model.tokenizerDir = spec.tokenizerDir;
    mkdirSync(dir, { recursive: true });
    await model.save(dir);
    model.dispose();
  }

  async loadCausalLM(dir: string): Promise<{ model: CausalLM; tokenizer: Tokenizer }> {
    const tokenizer = await Tokenizer.fromFolder(dir);
    return { model: await loadCausalLM(dir, { trainable: true }), tokenizer };
  }

  /** A trainable reward model; a causal-LM snapshot gets a score head drawn with `seed`. */
  async loadRewardModel(
    dir: string,
    opts: { seed: number },
  ): Promise<{ model: RewardModel; tokenizer: Tokenizer }> {
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
