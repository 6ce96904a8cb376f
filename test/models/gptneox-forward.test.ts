/**
 * Forward-pass invariants: left padding does not change a sequence's logits, positions come from the
 * mask, the KV cache reproduces the full forward, and the fused QKV layout is HF's per-head
 * interleaving (checked against a hand-assembled attention layer).
 */
import { describe, expect, it } from 'vitest';
import {
  disposeCache,
  GPTNeoXForCausalLM,
  lastTokenIndex,
  positionIdsFromMask,
} from '../../src/models/gptneox/model.ts';
import { cat, noGrad, ones, tidy, zeros } from '../../src/tensor/index.ts';
import { expectClose } from '../tensor/reference.ts';
import { int64, maxAbsDiff, randomIds, tinyConfig, wideRandomState } from './model-fixtures.ts';

const config = tinyConfig();
const model = new GPTNeoXForCausalLM(config, wideRandomState(config, 'causal-lm', 1));

describe('positions and last tokens from the attention mask', () => {
  it('counts from the first real token, pads clamped at 0', () => {
    const mask = int64([
      [0, 0, 1, 1, 1],
      [1, 1, 1, 1, 1],
      [1, 1, 1, 0, 0],
    ]);
    expect(positionIdsFromMask(mask).toArray()).toEqual([0, 0, 0, 1, 2, 0, 1, 2, 3, 4, 0, 1, 2, 2, 2]);
    expect(lastTokenIndex(mask).toArray()).toEqual([4, 4, 2]);
  });
});

describe('left padding', () => {
  it('leaves every real position’s logits unchanged', () => {
    const [a, b] = randomIds(2, 7, config.vocabSize, 3) as [number[], number[]];
    const short = b.slice(0, 4);
    const padded = noGrad(() =>
      model.logits(int64([a, [9, 9, 9, ...short]]), int64([a.map(() => 1), [0, 0, 0, 1, 1, 1, 1]])),
    );
    const alone = noGrad(() => model.logits(int64([short]), int64([[1, 1, 1, 1]])));
    const aAlone = noGrad(() => model.logits(int64([a]), int64([a.map(() => 1)])));
    const paddedRow = padded.select(0, 1).narrow(0, 3, 4);
    const diff = maxAbsDiff(paddedRow.toArray(), alone.select(0, 0).toArray());
    expect(diff).toBeLessThan(1e-5);
    expect(maxAbsDiff(padded.select(0, 0).toArray(), aAlone.select(0, 0).toArray())).toBeLessThan(1e-5);
  });

  it('changes the logits when the mask is ignored (the test can fail)', () => {
    const ids = int64([[9, 9, 9, 4, 5, 6, 7]]);
    const masked = noGrad(() => model.logits(ids, int64([[0, 0, 0, 1, 1, 1, 1]])));
    const unmasked = noGrad(() => model.logits(ids, int64([[1, 1, 1, 1, 1, 1, 1]])));
    expect(maxAbsDiff(masked.narrow(1, 3, 4).toArray(), unmasked.narrow(1, 3, 4).toArray())).toBeGreaterThan(
      1e-2,
    );
  });
});

describe('KV cache', () => {
  it('prefill + one token at a time gives the full forward’s logits', () => {
    const ids = [
      [0, 0, 5, 6, 7, 8, 9, 10],
      [11, 12, 13, 14, 15, 16, 17, 18],
    ];
    const mask = [
      [0, 0, 1, 1, 1, 1, 1, 1],
      [1, 1, 1, 1, 1, 1, 1, 1],
    ];
    const full = noGrad(() => model.logits(int64(ids), int64(mask)));
    noGrad(() =>
      tidy(() => {
        const P = 4;
        let out = model.forward(int64(ids.map((r) => r.slice(0, P))), {
          attentionMask: int64(mask.map((r) => r.slice(0, P))),
          returnCache: true,
        });
        const steps = [out.logits];
        for (let t = P; t < 8; t++) {
          const next = model.forward(int64(ids.map((r) => [r[t]!])), {
            attentionMask: int64(mask.map((r) => r.slice(0, t + 1))),
            cache: out.cache,
            returnCache: true,
          });
          disposeCache(out.cache);
          out = next;
          steps.push(out.logits);
        }
        expect(out.cache?.[0]?.key.shape).toEqual([2, 4, 8, 8]);
        const cached = cat(steps, 1);
        expect(maxAbsDiff(cached.toArray(), full.toArray())).toBeLessThan(1e-5);
      }),
    );
  });
});

describe('fused query_key_value layout', () => {
  it('splits per head as [q_h, k_h, v_h] blocks, as HF', () => {
    // One layer, one position: attention over a single key returns its value exactly, so the
    // attention output is dense(v) with v taken from rows 2·hd..3·hd of each head's 3·hd block.
    const c = tinyConfig({ numHiddenLayers: 1 });
    const state = wideRandomState(c, 'causal-lm', 4);
    const m = new GPTNeoXForCausalLM(c, state);
    const attention = m.gptNeox.layers[0]!.attention;
    const x = tidy(() => state.get('gpt_neox.embed_in.weight')!.narrow(0, 3, 1).unsqueeze(0));
    const keyMask = ones([1, 1, 1, 1], { dtype: 'bool' });
    const { out } = noGrad(() =>
      attention.forward(x, {
        rotary: { cos: ones([1, 1, 1, 2]), sin: zeros([1, 1, 1, 2]) }, // position 0: no rotation
        keyMask,
      }),
    );
    const hd = 8;
    const w = state.get('gpt_neox.layers.0.attention.query_key_value.weight')!.toArray();
    const bias = state.get('gpt_neox.layers.0.attention.query_key_value.bias')!.toArray();
    const xs = x.toArray();
    const v: number[] = [];
    for (let h = 0; h < 4; h++) {
      for (let j = 0; j < hd; j++) {
        const row = h * 3 * hd + 2 * hd + j;
        v.push(bias[row]! + xs.reduce((s, xi, i) => s + xi * w[row * 32 + i]!, 0));
      }
    }
    const dw = state.get('gpt_neox.layers.0.attention.dense.weight')!.toArray();
    const db = state.get('gpt_neox.layers.0.attention.dense.bias')!.toArray();
    const expected = db.map((b, o) => b + v.reduce((s, vi, i) => s + vi * dw[o * 32 + i]!, 0));
    expectClose(out.toArray(), expected, 1e-5);
  });
});
