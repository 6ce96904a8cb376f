/** GPT-NeoX with its language-modelling head (HF's GPTNeoXForCausalLM). */
import { linear, type Tensor, tidy } from '../../tensor/index.ts';
import { assertShapesMatch } from '../checkpoint/state-dict-check.ts';
import { type SaveOptions, writeSnapshot } from '../checkpoint/write-snapshot.ts';
import type { GPTNeoXConfig } from './config.ts';
import type { KVCache } from './kv-cache.ts';
import { GPTNeoXModel, type TrunkOptions } from './model.ts';
import { causalLMShapes, EMBED_IN, LM_HEAD, type StateDict, take } from './parameter-layout.ts';
import { StateDictModel } from './state-dict-model.ts';

export interface CausalLMForwardOptions extends TrunkOptions {
  /** Also return the final hidden states [B, T, hidden]. */
  returnHidden?: boolean;
  /** Also return the cache extended by these positions (incremental decoding). */
  returnCache?: boolean;
}

export interface CausalLMOutput {
  /** [B, T, vocab] in the model's dtype. */
  logits: Tensor;
  hidden?: Tensor;
  cache?: KVCache;
}

export class GPTNeoXForCausalLM extends StateDictModel {
  static readonly architecture = 'GPTNeoXForCausalLM';
  readonly gptNeox: GPTNeoXModel;
  /** [vocab, hidden]; the same tensor as embed_in when the config ties them. */
  readonly embedOut: Tensor;

  /** Builds the model over `state` (HF names), which must hold exactly the expected shapes. */
  constructor(config: GPTNeoXConfig, state: StateDict) {
    assertShapesMatch('GPTNeoXForCausalLM state dict', causalLMShapes(config), shapesOf(state));
    super(config, state);
    this.gptNeox = new GPTNeoXModel(state, config);
    this.embedOut = take(state, config.tieWordEmbeddings ? EMBED_IN : LM_HEAD);
  }

  /** Next-token logits for ids [B, T] (int64), with optional mask, positions and KV cache. */
  forward(ids: Tensor, opts: CausalLMForwardOptions = {}): CausalLMOutput {
    return tidy(() => {
      const { hidden, cache } = this.gptNeox.forward(ids, opts);
      return {
        logits: this.lmHead(hidden),
        ...(opts.returnHidden ? { hidden } : {}),
        ...(opts.returnCache ? { cache } : {}),
      };
    });
  }

  /** Logits [B, T, vocab] of ids [B, T] under an attention mask [B, T]. */
  logits(ids: Tensor, attentionMask: Tensor): Tensor {
    return this.forward(ids, { attentionMask }).logits;
  }

  /** Final hidden states [.., hidden] → logits [.., vocab]. */
  lmHead(hidden: Tensor): Tensor {
    return linear(hidden, this.embedOut);
  }

  /** Saves an HF snapshot (config.json, safetensors, and the tokenizer files of `tokenizerDir`). */
  async save(dir: string, opts: SaveOptions = {}): Promise<void> {
    await writeSnapshot(
      dir,
      { config: this.config, architectures: [GPTNeoXForCausalLM.architecture], tensors: [...this.state] },
      { tokenizerDir: this.tokenizerDir, ...opts },
    );
  }
}

export function shapesOf(state: StateDict): Map<string, number[]> {
  return new Map([...state].map(([name, t]) => [name, t.shape]));
}
