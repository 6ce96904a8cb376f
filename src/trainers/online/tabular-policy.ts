/**
 * A tabular policy over a finite response set: one logit per (prompt, response), responses being
 * single tokens. It runs the real online trainer on one-step bandits whose optima are known in
 * closed form (src/theory), which is how the trainer's regularizers are tested.
 */
import { TokenDistribution } from '../../models/index.ts';
import { keep, ones, type Tensor, tensor, zerosLike } from '../../tensor/index.ts';
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

  sample(prompts: PromptBatch, opts: SampleOptions): Rollout {
    const distribution = new TokenDistribution(this.rows(prompts).div(opts.temperature));
    const responseIds = distribution.sample(opts.noise.select(1, 0)).unsqueeze(1);
    const b = prompts.index.length;
    return {
      prompts,
      responseIds,
      responseMask: ones([b, 1], { dtype: 'float64' }),
      endedWithEos: ones([b], { dtype: 'bool' }),
    };
  }

  /** The same scoring as a language model's (TokenDistribution), on one-token responses: all [B, 1]. */
  score(rollout: Rollout, opts: ScoreOptions): TokenScores {
    const distribution = new TokenDistribution(this.rows(rollout.prompts).div(opts.temperature));
    const logps = distribution.logProb(rollout.responseIds.squeeze(1)).unsqueeze(1);
    return {
      logps,
      entropy: distribution.entropy().unsqueeze(1),
      ...(opts.full ? { fullLogps: distribution.logProbsAll().unsqueeze(1) } : {}),
      ...(opts.values ? { values: zerosLike(logps) } : {}),
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

  snapshot(): TabularPolicy & { dispose(): void } {
    return new TabularPolicy(this.probabilitiesLogits(), false);
  }

  dispose(): void {
    this.logits.dispose();
  }

  private probabilitiesLogits(): number[][] {
    const [n, m] = this.logits.shape as [number, number];
    const flat = this.logits.detach().toArray();
    return Array.from({ length: n }, (_, i) => flat.slice(i * m, (i + 1) * m));
  }

  private rows(prompts: PromptBatch): Tensor {
    return this.logits.indexSelect(0, tensor(prompts.index, { dtype: 'int64' }));
  }
}
