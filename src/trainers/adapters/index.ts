/**
 * Adapters from the model layer (GPT-NeoX snapshots, tokenizer) to the trainers' interfaces, used
 * by the CLI and the lab. Trainers themselves only know CausalLM / RewardModel / OnlinePolicy.
 */
import { mkdirSync } from 'node:fs';
import { loadCausalLM, loadRewardModel } from '../../models/checkpoint/load-model.ts';
import { initStateDict } from '../../models/gptneox/init.ts';
import { GPTNeoXForCausalLM, type GPTNeoXRewardModel } from '../../models/gptneox/model.ts';
import { namedConfig } from '../../models/gptneox/named-configs.ts';
import { generate } from '../../models/sampling/generate.ts';
import { Tokenizer } from '../../models/tokenizer/index.ts';
import { Generator, noGrad, tidy } from '../../tensor/index.ts';
import type { PromptSource, RewardFunction } from '../online/types.ts';
import { LMPolicy } from './lm-policy.ts';
import { rewardFromModel } from './reward-function.ts';
import { decodeResponses, leftPadded, promptSource } from './text-io.ts';

export { decodeResponses, LMPolicy, leftPadded, promptSource, rewardFromModel };

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

export interface LabModels {
  initModel(dir: string, spec: TinyModelSpec): Promise<void>;
  loadCausalLM(dir: string): Promise<{ model: GPTNeoXForCausalLM; tokenizer: Tokenizer }>;
  loadRewardModel(
    dir: string,
    o: { seed: number },
  ): Promise<{ model: GPTNeoXRewardModel; tokenizer: Tokenizer }>;
  loadPolicy(
    dir: string,
    o: { trainable: boolean; valueHead?: boolean },
  ): Promise<LMPolicy & { tokenizer: Tokenizer }>;
  loadRewardFunction(dir: string): Promise<ProxyReward>;
  promptSource(prompts: string[]): PromptSource;
  sampleTexts(
    policy: LMPolicy & { tokenizer: Tokenizer },
    prompts: string[],
    o: { greedy?: boolean; temperature: number; seed: number; maxNewTokens: number },
  ): string[];
  scoreTexts(proxy: ProxyReward, prompts: string[], texts: string[]): number;
}

/** The lab's model plumbing over HF-style snapshot folders. */
export function labModels(maxPromptTokens = 64): LabModels {
  let tokenizer: Tokenizer | null = null;
  const tok = () => {
    if (!tokenizer) throw new Error('load a model before building prompt batches');
    return tokenizer;
  };
  return {
    async initModel(dir, s) {
      const t = await Tokenizer.fromFolder(s.tokenizerDir);
      const config = {
        ...namedConfig('pythia-tiny', t.vocabSize, t.eosId),
        hiddenSize: s.hidden,
        numHiddenLayers: s.layers,
        numAttentionHeads: s.heads,
        intermediateSize: s.intermediate,
        maxPositionEmbeddings: s.maxPositions,
      };
      const model = new GPTNeoXForCausalLM(config, initStateDict(config, 'causal-lm', new Generator(s.seed)));
      model.tokenizerDir = s.tokenizerDir;
      mkdirSync(dir, { recursive: true });
      await model.save(dir);
      model.dispose();
    },
    async loadCausalLM(dir) {
      tokenizer = await Tokenizer.fromFolder(dir);
      return { model: await loadCausalLM(dir, { trainable: true }), tokenizer };
    },
    async loadRewardModel(dir, o) {
      tokenizer = await Tokenizer.fromFolder(dir);
      return { model: await loadRewardModel(dir, { trainable: true, initScoreSeed: o.seed }), tokenizer };
    },
    async loadPolicy(dir, o) {
      tokenizer = await Tokenizer.fromFolder(dir);
      const policy = await LMPolicy.load(dir, o);
      return Object.assign(policy, { tokenizer });
    },
    async loadRewardFunction(dir) {
      const t = await Tokenizer.fromFolder(dir);
      const model = await loadRewardModel(dir);
      return { model, tokenizer: t, reward: rewardFromModel(model) };
    },
    promptSource: (prompts) => promptSource(tok(), prompts, maxPromptTokens),
    sampleTexts(policy, prompts, o) {
      return noGrad(() =>
        tidy(() => {
          const batch = promptSource(policy.tokenizer, prompts, maxPromptTokens).batch(
            prompts.map((_, i) => i),
          );
          const out = generate(
            policy.model,
            { ids: batch.ids, mask: batch.mask },
            {
              maxNewTokens: o.maxNewTokens,
              eosId: policy.eosId,
              padId: policy.eosId,
              ...(o.greedy ? { greedy: true } : { temperature: o.temperature, gen: new Generator(o.seed) }),
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
    },
    scoreTexts(proxy, prompts, texts) {
      return noGrad(() =>
        tidy(() => {
          const enc = prompts.map((p, i) => [
            ...proxy.tokenizer.encode(p).slice(-maxPromptTokens),
            ...proxy.tokenizer.encode(texts[i]!),
          ]);
          const batch = leftPadded(
            enc,
            proxy.tokenizer.padId,
            enc.map((_, i) => i),
          );
          return proxy.model.rewards(batch.ids, batch.mask).mean().item();
        }),
      );
    },
  };
}
