/**
 * A scalar reward model: GPT-NeoX with HF's sequence-classification head (GPTNeoXForSequenceClassification,
 * num_labels = 1): `score.weight` [1, hidden], no bias, read at each sequence's last real token.
 */
import { linear, type Tensor, tidy } from '../../tensor/index.ts';
import { assertShapesMatch } from '../checkpoint/state-dict-check.ts';
import { type SaveOptions, writeSnapshot } from '../checkpoint/write-snapshot.ts';
import { shapesOf } from './causal-lm.ts';
import type { GPTNeoXConfig } from './config.ts';
import { GPTNeoXModel } from './model.ts';
import { rewardModelShapes, SCORE_HEAD, type StateDict, take } from './parameter-layout.ts';
import { lastTokenIndex } from './positions.ts';
import { StateDictModel } from './state-dict-model.ts';

/** config.json keys HF needs for a one-label classifier. */
const ONE_LABEL = { id2label: { '0': 'LABEL_0' }, label2id: { LABEL_0: 0 } };

export class GPTNeoXRewardModel extends StateDictModel {
  static readonly architecture = 'GPTNeoXForSequenceClassification';
  readonly gptNeox: GPTNeoXModel;
  /** [1, hidden]. */
  readonly score: Tensor;

  constructor(config: GPTNeoXConfig, state: StateDict) {
    assertShapesMatch(
      'GPTNeoXForSequenceClassification state dict',
      rewardModelShapes(config),
      shapesOf(state),
    );
    super(config, state);
    this.gptNeox = new GPTNeoXModel(state, config);
    this.score = take(state, SCORE_HEAD);
  }

  /** [B] rewards of ids [B, T], each read at the row's last token where attentionMask is 1. */
  rewards(ids: Tensor, attentionMask: Tensor): Tensor {
    return tidy(() => {
      const { hidden } = this.gptNeox.forward(ids, { attentionMask });
      const last = lastTokenIndex(attentionMask).view(-1, 1, 1).expand(hidden.dim(0), 1, hidden.dim(2));
      return linear(hidden.gather(1, last).squeeze(1), this.score).squeeze(1);
    });
  }

  /** Saves an HF snapshot that `AutoModelForSequenceClassification` loads with num_labels = 1. */
  async save(dir: string, opts: SaveOptions = {}): Promise<void> {
    const padTokenId = this.config.padTokenId ?? this.config.eosTokenId;
    await writeSnapshot(
      dir,
      {
        config: { ...this.config, padTokenId },
        architectures: [GPTNeoXRewardModel.architecture],
        tensors: [...this.state],
        extraConfig: ONE_LABEL,
      },
      { tokenizerDir: this.tokenizerDir, ...opts },
    );
  }
}
