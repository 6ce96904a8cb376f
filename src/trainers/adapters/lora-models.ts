/**
 * LoRA-adapted models as the trainers see them: the base model computes with its adapters inside
 * (src/models/lora), while `parameters()` — what the optimiser steps and checkpoints hold — is the
 * adapters alone (and a reward model's score head), and `save` writes PEFT's adapter folder.
 * `reference()` is the same model with its adapters off: DPO's and the KL penalty's reference,
 * without a second copy of the weights.
 */

import { resolve } from 'node:path';
import {
  type CausalLM as FamilyCausalLM,
  type RewardModel as FamilyRewardModel,
  isAdapterFolder,
  LoraAdapters,
  type LoraSettings,
  SCORE_HEAD,
  savedModuleTensorName,
  writeAdapterFolder,
  writeRewardNormalization,
} from '../../models/index.ts';
import { Generator, type Tensor } from '../../tensor/index.ts';
import type { CausalLM, RewardModel } from '../offline/lm.ts';

/**
 * Whether a run's reference is its policy with the LoRA adapters disabled: with LoRA, when the
 * reference folder is the starting model's (po's default), no second copy is loaded.
 */
export function sharesReference(
  c: { lora?: LoraSettings | null; model: string },
  reference: string | null | undefined,
): boolean {
  return Boolean(c.lora && reference && resolve(reference) === resolve(c.model));
}

/** The generator name of LoRA's dropout masks in checkpoints. */
export const LORA_DROPOUT_RNG = 'lora-dropout';

/**
 * Attaches fresh adapters to a loaded (frozen) model. `baseDir` is the snapshot it was loaded from:
 * it must be a full snapshot (an adapter is saved against it), not an adapter folder.
 */
export function attachLora(
  model: FamilyCausalLM | FamilyRewardModel,
  settings: LoraSettings,
  baseDir: string,
  seed: number,
): LoraAdapters {
  if (isAdapterFolder(baseDir))
    throw new Error(
      `lora: model ${baseDir} is itself a LoRA adapter folder; merge it first (maxent-rlhf merge --base BASE --adapter ${baseDir} --out DIR) and train new adapters on the merged snapshot`,
    );
  model.setTrainable(false);
  const lora = LoraAdapters.attach(model, settings, { gen: new Generator(seed, model.device) });
  for (const t of lora.parameters().values()) t.requiresGrad_(true);
  return lora;
}

/** A causal LM trained through LoRA adapters. */
export class LoraCausalLM implements CausalLM {
  constructor(
    readonly model: FamilyCausalLM,
    readonly lora: LoraAdapters,
    /** The base snapshot folder (adapter_config.json's base_model_name_or_path, absolute). */
    readonly baseDir: string,
  ) {}

  logits(ids: Tensor, attentionMask: Tensor): Tensor {
    return this.model.logits(ids, attentionMask);
  }

  targetLogProbs(ids: Tensor, attentionMask: Tensor, targetMask: Tensor): Tensor {
    return this.model.targetLogProbs(ids, attentionMask, targetMask);
  }

  parameters(): Map<string, Tensor> {
    return this.lora.parameters();
  }

  rngs(): Record<string, Generator> {
    return { [LORA_DROPOUT_RNG]: this.lora.gen };
  }

  /** The base model (adapters off), frozen: the reference, sharing every weight. */
  reference(): CausalLM {
    return {
      logits: (ids, mask) => this.lora.withDisabled(() => this.model.logits(ids, mask)),
      targetLogProbs: (ids, mask, target) =>
        this.lora.withDisabled(() => this.model.targetLogProbs(ids, mask, target)),
      parameters: () => new Map(),
      save: () => Promise.reject(new Error('the adapters-disabled reference is not saved')),
    };
  }

  save(dir: string): Promise<void> {
    return writeAdapterFolder(
      dir,
      {
        settings: this.lora.settings,
        taskType: 'CAUSAL_LM',
        baseModel: resolve(this.baseDir),
        modulesToSave: [],
      },
      this.lora.savedTargets(),
      this.lora.parameters(),
      this.model.tokenizerDir,
    );
  }
}

/** A reward model trained through LoRA adapters plus its score head (PEFT's modules_to_save). */
export class LoraRewardModel implements RewardModel {
  constructor(
    readonly model: FamilyRewardModel,
    readonly lora: LoraAdapters,
    readonly baseDir: string,
  ) {
    model.score.requiresGrad_(true);
  }

  rewards(ids: Tensor, attentionMask: Tensor): Tensor {
    return this.model.rewards(ids, attentionMask);
  }

  get rewardBias(): number {
    return this.model.rewardBias;
  }
  set rewardBias(b: number) {
    this.model.rewardBias = b;
  }
  get rewardBiasSource(): Record<string, unknown> {
    return this.model.rewardBiasSource;
  }
  set rewardBiasSource(s: Record<string, unknown>) {
    this.model.rewardBiasSource = s;
  }

  /** The adapters, then the score head under PEFT's name. */
  parameters(): Map<string, Tensor> {
    const p = this.lora.parameters();
    p.set(savedModuleTensorName(SCORE_HEAD), this.model.score);
    return p;
  }

  rngs(): Record<string, Generator> {
    return { [LORA_DROPOUT_RNG]: this.lora.gen };
  }

  async save(dir: string): Promise<void> {
    await writeAdapterFolder(
      dir,
      {
        settings: this.lora.settings,
        taskType: 'SEQ_CLS',
        baseModel: resolve(this.baseDir),
        modulesToSave: ['score'],
      },
      this.lora.savedTargets(),
      this.parameters(),
      this.model.tokenizerDir,
    );
    await writeRewardNormalization(dir, this.model);
  }
}
