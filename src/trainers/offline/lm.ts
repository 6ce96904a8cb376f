/** What the offline trainers need from a model (implemented over src/models by adapters). */
import type { Generator, Tensor } from '../../tensor/index.ts';

/** A causal language model: logits [B, T, V] for ids [B, T] (int64) with attention mask [B, T]. */
export interface CausalLM {
  logits(ids: Tensor, attentionMask: Tensor): Tensor;
  /**
   * Optional: log π(ids_t | ids_<t) [B, T − 1] where targetMask [B, T − 1] is 1 (0 elsewhere),
   * computing logits only there (memory: [N, V] for N targets instead of [B, T, V]).
   */
  targetLogProbs?(ids: Tensor, attentionMask: Tensor, targetMask: Tensor): Tensor;
  parameters(): Map<string, Tensor>;
  save(dir: string): Promise<void>;
  /** Random generators drawn from while training (LoRA dropout), checkpointed with the run. */
  rngs?(): Record<string, Generator>;
}

/** A scalar reward model: one reward per sequence, read at its last non-pad token. */
export interface RewardModel {
  rewards(ids: Tensor, attentionMask: Tensor): Tensor;
  parameters(): Map<string, Tensor>;
  save(dir: string): Promise<void>;
  rngs?(): Record<string, Generator>;
}

/** The tokenizer surface the trainers use. */
export interface TextTokenizer {
  encode(text: string): number[];
  readonly eosId: number;
  readonly padId: number;
}
