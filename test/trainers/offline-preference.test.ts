/**
 * Every offline preference loss (DPO, cDPO, robust DPO, IPO, hinge, SimPO, CPO, CPO-SimPO, ORPO) trained with
 * trainPreference on a tiny GPT-NeoX and toy preferences whose chosen response follows a learnable
 * rule (fixtures/toy-task.ts). Checked per loss:
 *   - the logged loss falls and the logged preference accuracy rises;
 *   - on held-out pairs, the trained model prefers chosen over rejected by its own sequence
 *     log-probs (float64, computed in the test) far more often than the starting model did;
 *   - metrics.jsonl has a line per step with TRL's names; `ref/logratio` only for reference losses;
 *   - reference-free losses never call loadReference and write no reference cache.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCausalLM } from '../../src/models/checkpoint/load-model.ts';
import { Tokenizer } from '../../src/models/tokenizer/index.ts';
import { PreferenceConfigSchema } from '../../src/trainers/offline/config.ts';
import type { CausalLM } from '../../src/trainers/offline/lm.ts';
import { trainPreference } from '../../src/trainers/offline/preference.ts';
import {
  firstLast,
  preferenceAccuracy,
  quietLog,
  readMetrics,
  tempDirs,
  toyPreferences,
  writeToyModel,
} from './fixtures/toy-task.ts';

const tmp = tempDirs('po');
let base = '';
let startAccuracy = 0;
const train = toyPreferences('train', 3);
const heldOut = toyPreferences('eval', 3);
const STEPS = 30;

beforeAll(async () => {
  base = await writeToyModel(tmp.make('base'), { seed: 5 });
  const m = await loadCausalLM(base);
  startAccuracy = preferenceAccuracy(m, heldOut);
  m.dispose();
});
afterAll(() => tmp.cleanup());

const TRL_METRICS = [
  'loss',
  'rewards/chosen',
  'rewards/rejected',
  'rewards/accuracies',
  'rewards/margins',
  'logps/chosen',
  'logps/rejected',
  'lengths/chosen',
  'lengths/rejected',
];

type Loss = 'dpo' | 'cdpo' | 'robust' | 'ipo' | 'hinge' | 'simpo' | 'cpo' | 'cpo-simpo' | 'orpo';
const CASES: { loss: Loss; ref: boolean; knobs: Record<string, number> }[] = [
  { loss: 'dpo', ref: true, knobs: { beta: 0.1 } },
  { loss: 'cdpo', ref: true, knobs: { beta: 0.1, labelSmoothing: 0.1 } },
  { loss: 'robust', ref: true, knobs: { beta: 0.1, labelSmoothing: 0.1 } },
  { loss: 'ipo', ref: true, knobs: { beta: 0.1 } },
  { loss: 'hinge', ref: true, knobs: { beta: 0.1 } },
  { loss: 'simpo', ref: false, knobs: { beta: 2, gamma: 0.5 } },
  { loss: 'cpo', ref: false, knobs: { beta: 0.1, nllWeight: 1 } },
  { loss: 'cpo-simpo', ref: false, knobs: { beta: 2, gamma: 0.5, nllWeight: 0.5 } },
  { loss: 'orpo', ref: false, knobs: { beta: 0.1, nllWeight: 1 } },
];

describe('trainPreference on a tiny GPT-NeoX with a learnable preference rule', () => {
  it('the starting model has no preference for the rule on held-out pairs', () => {
    expect(startAccuracy).toBeGreaterThan(0.2);
    expect(startAccuracy).toBeLessThan(0.8);
  });

  it.each(CASES)(
    '$loss: loss falls, accuracy rises, TRL metrics every step',
    async ({ loss, ref, knobs }) => {
      const out = tmp.make(loss);
      const policy = await loadCausalLM(base, { trainable: true });
      const tokenizer = await Tokenizer.fromFolder(base);
      let referenceLoads = 0;
      const config = PreferenceConfigSchema.parse({
        model: base,
        out,
        data: { train: 'in-memory' },
        loss,
        ...knobs,
        maxPromptTokens: 8,
        maxTotalTokens: 16,
        steps: STEPS,
        batchSize: 8,
        optim: { lr: 3e-3, schedule: 'constant' },
        evalEvery: 0,
        checkpointEvery: 0,
        seed: 3,
      });
      await trainPreference({
        config,
        policy,
        tokenizer,
        train,
        eval: heldOut,
        log: quietLog,
        referenceDir: base,
        loadReference: async (): Promise<CausalLM> => {
          referenceLoads++;
          return loadCausalLM(base);
        },
      });

      // Reference handling.
      const cacheDir = join(out, 'cache');
      const cacheFiles = existsSync(cacheDir)
        ? readdirSync(cacheDir).filter((f) => f.startsWith('ref-logps-'))
        : [];
      if (ref) {
        expect(referenceLoads).toBe(1);
        expect(cacheFiles.length).toBeGreaterThan(0);
      } else {
        expect(referenceLoads).toBe(0);
        expect(cacheFiles).toEqual([]);
      }

      // Metrics: one line per step, TRL names, ref/logratio only with a reference.
      const rows = readMetrics(out);
      expect(rows.map((r) => r.step)).toEqual(Array.from({ length: STEPS }, (_, i) => i + 1));
      for (const r of rows) {
        for (const k of TRL_METRICS) expect(Number.isFinite(r[k]), `${k} at step ${r.step}`).toBe(true);
        expect('ref/logratio' in r).toBe(ref);
        expect(r['rewards/margins']!).toBeCloseTo(r['rewards/chosen']! - r['rewards/rejected']!, 5);
        // One value word + EOS on either side.
        expect(r['lengths/chosen']).toBe(2);
        expect(r['lengths/rejected']).toBe(2);
      }
      expect(rows.at(-1)!['eval/loss']).toBeTypeOf('number');

      // Learning: the loss falls and the logged accuracy rises.
      const l = firstLast(rows, 'loss', 5);
      expect(l.last).toBeLessThan(l.first);
      const a = firstLast(rows, 'rewards/accuracies', 5);
      expect(a.last).toBeGreaterThan(a.first);
      expect(a.last).toBeGreaterThan(0.75);

      // Held-out, independently: the saved model's own log-probs prefer the rule's responses.
      const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { status: string; kind: string };
      expect(run).toMatchObject({ status: 'done', kind: 'po' });
      const trained = await loadCausalLM(join(out, 'model'));
      const acc = preferenceAccuracy(trained, heldOut);
      expect(acc).toBeGreaterThan(startAccuracy + 0.2);
      expect(acc).toBeGreaterThan(0.8);
      trained.dispose();
      policy.dispose();
    },
  );
});
