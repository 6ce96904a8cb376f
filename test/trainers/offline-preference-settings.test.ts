/**
 * Preference-optimisation settings that used to be wrong:
 *   - β and γ default per loss (SimPO's β = 2.0 and γ = 0.5, the DPO family's 0.05), so `--loss
 *     simpo` on a config without β no longer trains SimPO at DPO's β;
 *   - CPO-SimPO (CPO's NLL term on SimPO's length-normalised margin) is reachable by name, and equals
 *     its formula written out here in float64;
 *   - an evaluation runs each held-out batch through the policy once, for both eval metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preferenceLoss } from '../../src/losses/index.ts';
import { loadCausalLM } from '../../src/models/checkpoint/load-model.ts';
import { Tokenizer } from '../../src/models/tokenizer/index.ts';
import { tensor } from '../../src/tensor/index.ts';
import { PreferenceConfigSchema } from '../../src/trainers/offline/config.ts';
import type { CausalLM } from '../../src/trainers/offline/lm.ts';
import { trainPreference } from '../../src/trainers/offline/preference.ts';
import { quietLog, readMetrics, tempDirs, toyPreferences, writeToyModel } from './fixtures/toy-task.ts';

const tmp = tempDirs('po-settings');
let base = '';
beforeAll(async () => {
  base = await writeToyModel(tmp.make('base'), { seed: 7 });
});
afterAll(() => tmp.cleanup());

const minimal = (loss: string, extra: Record<string, unknown> = {}) =>
  PreferenceConfigSchema.parse({ model: 'm', out: 'o', data: { train: 't.jsonl' }, loss, ...extra });

describe('β and γ default per loss', () => {
  it("SimPO takes SimPO's β = 2 and γ = 0.5; the DPO family keeps the TL;DR work's β = 0.05", () => {
    expect(minimal('simpo')).toMatchObject({ beta: 2, gamma: 0.5 });
    expect(minimal('dpo').beta).toBe(0.05);
    expect(minimal('ipo').beta).toBe(0.05);
  });

  it('a β or γ the config sets wins over the default', () => {
    expect(minimal('simpo', { beta: 2.5, gamma: 1 })).toMatchObject({ beta: 2.5, gamma: 1 });
    expect(minimal('dpo', { beta: 0.1 }).beta).toBe(0.1);
  });
});

describe('CPO-SimPO', () => {
  it('is a loss name of the config and of the dispatcher, equal to SimPO + λ·NLL(y_w)', () => {
    expect(minimal('cpo-simpo')).toMatchObject({ loss: 'cpo-simpo', beta: 2, gamma: 0.5 });
    const f64 = (xs: number[]) => tensor(xs, { dtype: 'float64' });
    const [pc, pr, lc, lr] = [
      [-4, -9],
      [-6, -7.5],
      [4, 6],
      [3, 10],
    ];
    const [beta, gamma, lambda] = [2, 0.5, 0.3];
    const out = preferenceLoss(
      'cpo-simpo' as Parameters<typeof preferenceLoss>[0],
      {
        policyChosen: f64(pc!),
        policyRejected: f64(pr!),
        chosenLengths: f64(lc!),
        rejectedLengths: f64(lr!),
      },
      { beta, gamma, labelSmoothing: 0, nllWeight: lambda },
    );
    const logSigmoid = (x: number) => -Math.log1p(Math.exp(-x));
    const perPair = [0, 1].map((i) => {
      const margin = (beta * pc![i]!) / lc![i]! - (beta * pr![i]!) / lr![i]! - gamma;
      return -logSigmoid(margin) + lambda * (-pc![i]! / lc![i]!);
    });
    expect(out.loss.item()).toBeCloseTo((perPair[0]! + perPair[1]!) / 2, 12);
    expect(out.chosenRewards.toArray()).toEqual([(beta * pc![0]!) / lc![0]!, (beta * pc![1]!) / lc![1]!]);
  });
});

describe('preference evaluation', () => {
  it('runs each held-out batch through the policy once for eval/loss and eval/rewards/accuracies', async () => {
    const model = await loadCausalLM(base, { trainable: true });
    let forwardPasses = 0;
    const counting: CausalLM = {
      logits: (ids, mask) => {
        forwardPasses++;
        return model.logits(ids, mask);
      },
      parameters: () => model.parameters(),
      save: (dir) => model.save(dir),
    };
    const evalPairs = toyPreferences('eval', 1); // batchSize 4 → several held-out batches
    const evalBatches = Math.ceil(evalPairs.length / 4);
    const out = tmp.make('eval-once');
    await trainPreference({
      config: PreferenceConfigSchema.parse({
        model: base,
        out,
        data: { train: 'unused.jsonl' },
        loss: 'simpo',
        steps: 1,
        batchSize: 4,
        evalBatches: 100,
        evalEvery: 1,
        checkpointEvery: 0,
        maxPromptTokens: 8,
        maxTotalTokens: 16,
      }),
      policy: counting,
      tokenizer: await Tokenizer.fromFolder(base),
      train: toyPreferences('train', 1),
      eval: evalPairs,
      log: quietLog,
    });
    model.dispose();
    expect(evalBatches).toBeGreaterThan(1);
    // One training micro-batch, then one pass per held-out batch.
    expect(forwardPasses).toBe(1 + evalBatches);
    const line = readMetrics(out)[0]!;
    expect(line['eval/rewards/accuracies']).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(line['eval/loss'])).toBe(true);
  });
});
