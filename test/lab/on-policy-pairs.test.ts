/**
 * On-policy SimPO's pairs (claim 4c), with stand-ins for the models so every pair can be worked out
 * by hand: a fake policy whose j-th sample of prompt p is the text "pqj", and a fake proxy that
 * scores a text from a table.
 */
import { describe, expect, it } from 'vitest';
import { rankedPolicyPairs } from '../../src/lab/demo/on-policy-simpo.ts';
import type { Tokenizer } from '../../src/models/index.ts';
import type { LabModels, LMPolicy, ProxyReward } from '../../src/trainers/adapters/index.ts';

const policy = {} as LMPolicy & { tokenizer: Tokenizer };
const proxy = {} as ProxyReward;

/** Samples are "<prompt>q<j>" for the j-th repeat of a prompt within a call; scores come from `score`. */
function fakeModels(
  score: (prompt: string, text: string) => number,
  calls: { n: number; seed: number; temperature: number; maxNewTokens: number }[],
): LabModels {
  return {
    sampleTexts: (_p, prompts, o) => {
      calls.push({
        n: prompts.length,
        seed: o.seed,
        temperature: o.temperature,
        maxNewTokens: o.maxNewTokens,
      });
      const seen = new Map<string, number>();
      return prompts.map((p) => {
        const j = seen.get(p) ?? 0;
        seen.set(p, j + 1);
        return `${p}q${j}`;
      });
    },
    scoreEach: (_proxy, prompts, texts) => texts.map((t, i) => score(prompts[i]!, t.trim())),
  } as Partial<LabModels> as LabModels;
}

const settings = { roundsPerEpoch: 2, temperature: 0.9, seed: 5, maxNewTokens: 12 };

describe('rankedPolicyPairs', () => {
  it("pairs the proxy's best and worst sample of each prompt, in the prompts' order", () => {
    // Three samples per prompt; scores by hand: a: 0.1, 0.7, −0.2 → chosen aq1, rejected aq2;
    // b: 2, 1, 3 → bq2 over bq1; c: all equal → the first two samples, in order.
    const table: Record<string, number> = {
      aq0: 0.1,
      aq1: 0.7,
      aq2: -0.2,
      bq0: 2,
      bq1: 1,
      bq2: 3,
      cq0: 1,
      cq1: 1,
      cq2: 1,
    };
    const calls: { n: number; seed: number; temperature: number; maxNewTokens: number }[] = [];
    const pairs = rankedPolicyPairs(
      fakeModels((_p, t) => table[t]!, calls),
      policy,
      proxy,
      ['a', 'b', 'c'],
      { ...settings, samplesPerPrompt: 3 },
    );
    expect(pairs.map((p) => [p.prompt, p.chosen.trim(), p.rejected.trim()])).toEqual([
      ['a', 'aq1', 'aq2'],
      ['b', 'bq2', 'bq1'],
      ['c', 'cq0', 'cq1'],
    ]);
    expect(pairs.map((p) => [p.chosenScore, p.rejectedScore])).toEqual([
      [0.7, -0.2],
      [3, 1],
      [1, 1],
    ]);
    expect(pairs.map((p) => p.row)).toEqual([1, 2, 3]);
    expect(calls).toEqual([{ n: 9, seed: calls[0]!.seed, temperature: 0.9, maxNewTokens: 12 }]);
  });

  it('keeps samples aligned with their prompts across generation batches, each batch its own seed', () => {
    // 70 prompts: a batch of 64 and one of 6. Each prompt's second sample scores higher when the
    // prompt's number is even, lower when it is odd.
    const prompts = Array.from({ length: 70 }, (_, i) => `p${i}`);
    const calls: { n: number; seed: number; temperature: number; maxNewTokens: number }[] = [];
    const pairs = rankedPolicyPairs(
      fakeModels((p, t) => (t.endsWith('q1') ? 1 : 0) * (Number(p.slice(1)) % 2 === 0 ? 1 : -1), calls),
      policy,
      proxy,
      prompts,
      { ...settings, samplesPerPrompt: 2 },
    );
    expect(pairs).toHaveLength(70);
    pairs.forEach((pair, i) => {
      expect(pair.prompt).toBe(`p${i}`);
      expect(pair.chosen.trim()).toBe(i % 2 === 0 ? `p${i}q1` : `p${i}q0`);
      expect(pair.rejected.trim()).toBe(i % 2 === 0 ? `p${i}q0` : `p${i}q1`);
      expect(pair.row).toBe(i + 1);
    });
    expect(calls.map((c) => c.n)).toEqual([128, 12]);
    expect(new Set(calls.map((c) => c.seed)).size).toBe(2);
  });
});
