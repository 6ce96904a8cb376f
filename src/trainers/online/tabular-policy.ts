/**
 * A tabular policy over a finite response set: one logit per (prompt, response), responses being
 * single tokens. It runs the real online trainer on one-step bandits whose optima are known in
 * closed form (src/theory), which is how the trainer's regularizers are tested.
 */
import { type Generator, type Tensor, keep, multinomial, ones, tensor, zeros } from '../../tensor/index.ts';
import type {
  OnlinePolicy,
  PromptBatch,
  Rollout,
  SampleOptions,
  ScoreOptions,
  TokenScores,
} from './types.ts';

export class TabularPolicy implements OnlinePolicy {
  /** [prompts, responses] logits θ; π(y|x) = softmax(θ_x / T). */
  readonly logits: Tensor;

  constructor(initialLogits: number[][], trainable = true) {
    this.logits = keep(tensor(initialLogits, { dtype: 'float64' }));
    if (trainable) this.logits.requiresGrad_();
  }

  /** Prompt batches hold the prompt index as a single token. */
  static prompts(indices: number[]): PromptBatch {
    return {
      ids: tensor(
        indices.map((i) => [i]),
        { dtype: 'int64' },
      ),
      mask: ones([indices.length, 1]),
      index: indices,
    };
  }

  sample(prompts: PromptBatch, o: SampleOptions): Rollout {
    const probs = this.rows(prompts).div(o.temperature).softmax(-1);
    const responseIds = multinomial(probs, 1, { replacement: true, gen: o.gen as Generator });
    const b = prompts.index.length;
    return {
      prompts,
      responseIds,
      responseMask: ones([b, 1], { dtype: 'float64' }),
      endedWithEos: ones([b], { dtype: 'bool' }),
    };
  }

  score(r: Rollout, o: ScoreOptions): TokenScores {
    const full = this.rows(r.prompts).div(o.temperature).logSoftmax(-1);
    const logps = full.gather(1, r.responseIds);
    const entropy = full.exp().mul(full).sum(1, true).neg();
    return {
      logps,
      entropy,
      ...(o.full ? { fullLogps: full.unsqueeze(1) } : {}),
      ...(o.values ? { values: zeros(logps.shape, { dtype: 'float64' }) } : {}),
    };
  }

  /** π(·|x) for every prompt, as plain numbers. */
  probabilities(temperature = 1): number[][] {
    const p = this.logits.detach().div(temperature).softmax(-1);
    const [n, m] = p.shape as [number, number];
    const flat = p.toArray();
    p.dispose();
    return Array.from({ length: n }, (_, i) => flat.slice(i * m, (i + 1) * m));
  }

  parameters(): Map<string, Tensor> {
    return new Map([['logits', this.logits]]);
  }

  private rows(prompts: PromptBatch): Tensor {
    return this.logits.indexSelect(0, tensor(prompts.index, { dtype: 'int64' }));
  }
}
