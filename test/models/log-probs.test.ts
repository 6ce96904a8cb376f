/**
 * Per-token log-probs and entropies: against plain-JS float64 formulas, and the response-only path
 * (LM head on the response slice) against slicing the full logits.
 */
import { describe, expect, it } from 'vitest';
import { GPTNeoXForCausalLM, responseLogProbs } from '../../src/models/gptneox/model.ts';
import { TokenDistribution, tokenEntropy, tokenLogProbs } from '../../src/models/token-distribution.ts';
import { dispose, liveTensors, noGrad, tensor } from '../../src/tensor/index.ts';
import { expectClose, logSumExp, softmax } from '../tensor/reference.ts';
import { int64, maxAbsDiff, tinyConfig, wideRandomState } from './model-fixtures.ts';

const rows = [
  [2.0, -1.0, 0.5, 3.0],
  [-4.0, 0.0, 0.0, 1.5],
];

describe('token log-probs and entropy', () => {
  it('match float64 references', () => {
    const logits = tensor([rows]); // [1, 2, 4]
    const lp = tokenLogProbs(logits, int64([[3, 1]]));
    expect(lp.shape).toEqual([1, 2]);
    expect(lp.dtype).toBe('float32');
    expectClose(lp.toArray(), [rows[0]![3]! - logSumExp(rows[0]!), rows[1]![1]! - logSumExp(rows[1]!)], 1e-6);
    const entropy = (xs: number[]) => -softmax(xs).reduce((s, p) => s + p * Math.log(p), 0);
    expectClose(tokenEntropy(logits).toArray(), rows.map(entropy), 1e-6);
  });

  it('keep float64 logits in float64 (the tabular policy of the closed-form tests)', () => {
    const lp = tokenLogProbs(tensor([rows], { dtype: 'float64' }), int64([[3, 1]]));
    expect(lp.dtype).toBe('float64');
    expect(lp.toArray()[0]).toBeCloseTo(rows[0]![3]! - logSumExp(rows[0]!), 14);
  });

  it('score filtered logits (−∞ on removed tokens) over the tokens that remain', () => {
    const kept = [2.0, 0.5];
    const d = new TokenDistribution(
      tensor([[2.0, Number.NEGATIVE_INFINITY, 0.5, Number.NEGATIVE_INFINITY]]),
      {
        filtered: true,
      },
    );
    const entropy = -softmax(kept).reduce((s, p) => s + p * Math.log(p), 0);
    expectClose(d.entropy().toArray(), [entropy], 1e-6);
    expectClose(d.logProb(tensor([2], { dtype: 'int64' })).toArray(), [0.5 - logSumExp(kept)], 1e-6);
    expectClose(d.probs.toArray(), [softmax(kept)[0]!, 0, softmax(kept)[1]!, 0], 1e-6);
  });

  it('work from bf16 logits in float32', () => {
    const lp = tokenLogProbs(tensor([rows]).to('bfloat16'), int64([[0, 0]]));
    expect(lp.dtype).toBe('float32');
  });
});

describe('response log-probs of a model', () => {
  const config = tinyConfig();
  const model = new GPTNeoXForCausalLM(config, wideRandomState(config, 'causal-lm', 8));
  const ids = [
    [0, 0, 3, 4, 5, 6, 7, 0],
    [8, 9, 10, 11, 12, 13, 14, 15],
  ];
  const mask = [
    [0, 0, 1, 1, 1, 1, 1, 0],
    [1, 1, 1, 1, 1, 1, 1, 1],
  ];
  const start = 4; // prompts are columns 0..3, responses 4..7

  it('equal the full-logits computation on the response slice', () => {
    const out = noGrad(() =>
      responseLogProbs(model, int64(ids), int64(mask), start, { entropy: true, hidden: true }),
    );
    expect(out.logProbs.shape).toEqual([2, 4]);
    expect(out.hidden?.shape).toEqual([2, 4, 32]);
    const full = noGrad(() => model.logits(int64(ids), int64(mask)))
      .double()
      .logSoftmax(-1);
    const predicting = full.narrow(1, start - 1, 4);
    const expected = predicting.gather(-1, int64(ids.map((r) => r.slice(start))).unsqueeze(-1)).squeeze(-1);
    expect(maxAbsDiff(out.logProbs.toArray(), expected.toArray())).toBeLessThan(1e-5);
    const entropy = predicting.exp().mul(predicting).sum(-1).neg();
    expect(maxAbsDiff(out.entropy!.toArray(), entropy.toArray())).toBeLessThan(1e-5);
  });

  it('return the whole log-distribution when asked, equal to log_softmax of the full logits', () => {
    const out = noGrad(() => responseLogProbs(model, int64(ids), int64(mask), start, { logProbsAll: true }));
    expect(out.logProbsAll?.shape).toEqual([2, 4, config.vocabSize]);
    const full = noGrad(() => model.logits(int64(ids), int64(mask)))
      .double()
      .logSoftmax(-1)
      .narrow(1, start - 1, 4);
    expect(maxAbsDiff(out.logProbsAll!.toArray(), full.toArray())).toBeLessThan(1e-5);
  });

  it('apply the temperature to the logits', () => {
    const t = 0.7;
    const out = noGrad(() => responseLogProbs(model, int64(ids), int64(mask), start, { temperature: t }));
    const full = noGrad(() => model.logits(int64(ids), int64(mask)))
      .double()
      .div(t)
      .logSoftmax(-1);
    const expected = full
      .narrow(1, start - 1, 4)
      .gather(-1, int64(ids.map((r) => r.slice(start))).unsqueeze(-1))
      .squeeze(-1);
    expect(maxAbsDiff(out.logProbs.toArray(), expected.toArray())).toBeLessThan(1e-5);
  });

  it('carry gradients to the parameters when recording', () => {
    model.setTrainable(true);
    const out = responseLogProbs(model, int64(ids), int64(mask), start);
    out.logProbs.sum().backward();
    const g = model.parameters().get('gpt_neox.layers.0.attention.query_key_value.weight')!.grad;
    expect(g?.abs().sum().item()).toBeGreaterThan(0);
    model.setTrainable(false);
  });

  it('leave only their results alive', () => {
    const [idsT, maskT] = [int64(ids), int64(mask)];
    const before = liveTensors();
    dispose(noGrad(() => responseLogProbs(model, idsT, maskT, start, { entropy: true, hidden: true })));
    dispose(
      noGrad(() => model.forward(idsT, { attentionMask: maskT, returnHidden: true, returnCache: true })),
    );
    expect(liveTensors()).toBe(before);
  });

  it('reject a response start outside the sequence', () => {
    expect(() => responseLogProbs(model, int64(ids), int64(mask), 0)).toThrow(
      /responseStart must be in \[1, 7\]/,
    );
  });
});
