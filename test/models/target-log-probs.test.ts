/**
 * targetLogProbs: the LM head only at target positions gives the same log-probs as the full logits
 * (a float64 log-softmax here), zeros elsewhere, and the same gradients.
 */
import { describe, expect, it } from 'vitest';
import { GPTNeoXForCausalLM, targetLogProbs } from '../../src/models/gptneox/model.ts';
import { noGrad, tensor, tidy } from '../../src/tensor/index.ts';
import { int64, maxAbsDiff, tinyConfig, wideRandomState } from './model-fixtures.ts';

const config = tinyConfig();
const ids = int64([
  [3, 4, 5, 6, 7, 0],
  [8, 9, 10, 11, 12, 13],
]);
const mask = int64([
  [1, 1, 1, 1, 1, 0],
  [1, 1, 1, 1, 1, 1],
]);
const targets = tensor([
  [0, 0, 1, 1, 0],
  [0, 1, 1, 1, 1],
]);

describe('targetLogProbs', () => {
  it('equals the full log-softmax at the targets and is 0 elsewhere', () => {
    const model = new GPTNeoXForCausalLM(config, wideRandomState(config, 'causal-lm', 3));
    const ours = noGrad(() => targetLogProbs(model, ids, mask, targets).toArray());
    const logits = noGrad(() => model.logits(ids, mask).toArray());
    const V = config.vocabSize;
    const tokens = ids.toArray();
    const want = targets.toArray().map((m, k) => {
      if (m === 0) return 0;
      const [b, t] = [Math.floor(k / 5), k % 5];
      const row = logits.slice((b * 6 + t) * V, (b * 6 + t + 1) * V);
      const max = Math.max(...row);
      const lse = max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
      return row[tokens[b * 6 + t + 1]!]! - lse;
    });
    expect(maxAbsDiff(ours, want)).toBeLessThan(1e-5);
  });

  it('has the gradients of the full-logits computation', () => {
    const grads = (fn: (m: GPTNeoXForCausalLM) => ReturnType<typeof tensor>) => {
      const model = new GPTNeoXForCausalLM(config, wideRandomState(config, 'causal-lm', 4)).setTrainable(
        true,
      );
      tidy(() => fn(model).sum().backward());
      return [...model.parameters().values()].flatMap((p) => p.grad!.toArray());
    };
    const sparse = grads((m) => targetLogProbs(m, ids, mask, targets));
    const dense = grads((m) =>
      m
        .logits(ids, mask)
        .narrow(1, 0, 5)
        .logSoftmax(-1)
        .gather(-1, ids.narrow(1, 1, 5).unsqueeze(-1))
        .squeeze(-1)
        .mul(targets),
    );
    expect(maxAbsDiff(sparse, dense)).toBeLessThan(1e-5);
  });
});
