/**
 * The presets under configs/ validate with their command's schema (sweeps: every run they would
 * start), carry the paper's and the TL;DR setup's published values, and docs/configs.md is exactly
 * what scripts/gen-config-docs.ts generates from the schemas.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  configDocRows,
  configDocsMarkdown,
  DOCUMENTED,
  presetList,
  REPO_ROOT,
} from '../../src/cli/config-docs.ts';
import { main } from '../../src/cli/main.ts';
import { loadConfigFile } from '../../src/config/load.ts';
import { loadBestOfNConfig } from '../../src/experiments/best-of-n.ts';
import type { TrainKind } from '../../src/experiments/configs.ts';
import { loadTrainConfig } from '../../src/experiments/train.ts';
import { SweepConfigSchema } from '../../src/lab/sweep/index.ts';
import { MAX_PROMPT_TOKENS } from '../../src/lab/task/index.ts';

const presets = presetList().map((p) => p.path);
const kindOf = (path: string): TrainKind | 'sweep' | 'bon' => {
  const name = path.split('/').pop()!;
  if (name.startsWith('sweep')) return 'sweep';
  if (name.startsWith('bon')) return 'bon';
  if (name.startsWith('sft')) return 'sft';
  if (name.startsWith('rm')) return 'rm';
  if (name.startsWith('rl')) return 'rl';
  if (/^(dpo|simpo|po)/.test(name)) return 'po';
  throw new Error(`${path}: file name does not say which command it is for`);
};
const abs = (p: string) => join(REPO_ROOT, p);

let stdout: string[] = [];
beforeEach(() => {
  stdout = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void stdout.push(a.join(' ')));
});
afterEach(() => vi.restoreAllMocks());

describe('presets', () => {
  it('exist for the paper (Pythia 1B and 2.8B) and the lab, each with a one-line summary', () => {
    for (const dir of ['configs/paper/pythia-1b', 'configs/paper/pythia-2.8b', 'configs/lab'])
      for (const f of ['sft', 'rm', 'dpo', 'simpo', 'rl-kl', 'rl-maxent', 'sweep-online'])
        expect(presets).toContain(`${dir}/${f}.yaml`);
    for (const p of presetList()) expect(p.summary.length).toBeGreaterThan(20);
  });

  it.each(presets)('%s validates with its schema', async (path) => {
    const kind = kindOf(path);
    if (kind === 'sweep') {
      // --dry-run validates the sweep file, its base and the config of every run of the grid.
      expect(await main(['sweep', '--config', abs(path), '--dry-run'])).toBe(0);
      expect(stdout.length).toBeGreaterThan(1);
    } else if (kind === 'bon') expect(loadBestOfNConfig(abs(path)).out).toMatch(/^runs\//);
    else expect(loadTrainConfig(kind, abs(path)).out).toMatch(/^runs\//);
  });

  // The lab's posts reach MAX_PROMPT_TOKENS: a preset with a smaller limit rejects the demo's data
  // at run time (every row "too long"), which schema validation alone does not see.
  it.each(presets.filter((p) => p.startsWith('configs/lab/') && !/sweep/.test(p)))(
    "%s admits the lab's longest post",
    (path) => {
      const kind = kindOf(path);
      const c = (
        kind === 'bon' ? loadBestOfNConfig(abs(path)) : loadTrainConfig(kind as TrainKind, abs(path))
      ) as {
        maxPromptTokens: number;
      };
      expect(c.maxPromptTokens).toBeGreaterThanOrEqual(MAX_PROMPT_TOKENS);
    },
  );

  it("the paper's online presets use its learning rates and the TL;DR PPO settings", () => {
    for (const [size, lrs] of [
      ['pythia-1b', [1e-6, 1e-7]],
      ['pythia-2.8b', [1e-7, 5e-8]],
    ] as const) {
      const sw = loadConfigFile(SweepConfigSchema, abs(`configs/paper/${size}/sweep-online.yaml`));
      expect(sw.grid.lr).toEqual(lrs);
      expect(sw.grid.regularizer).toEqual(['kl', 'entropy']);
      expect((sw.grid.coef as Record<string, number[]>).entropy!.length).toBeGreaterThanOrEqual(3);
      for (const f of ['rl-kl', 'rl-maxent']) {
        const c = loadTrainConfig('rl', abs(`configs/paper/${size}/${f}.yaml`));
        expect(c.lr).toBe(lrs[0]);
        expect(c.modelLabel).toBe(size);
        expect(c).toMatchObject({
          algorithm: 'ppo',
          temperature: 0.7,
          maxNewTokens: 53,
          missingEosPenalty: -1,
          promptsPerStep: 512,
          ppo: { epochs: 4, clip: 0.2, valueClip: 0.2, valueCoef: 0.1, gamma: 1, lambda: 0.95 },
        });
        expect(c.reference).toBe(`runs/paper/${size}/sft/model`);
      }
      const kl = loadTrainConfig('rl', abs(`configs/paper/${size}/rl-kl.yaml`));
      expect(kl.regularizer).toEqual({
        kl: { coef: 0.05, estimator: 'k1', placement: 'reward', adaptive: null },
        entropy: null,
      });
      const maxent = loadTrainConfig('rl', abs(`configs/paper/${size}/rl-maxent.yaml`));
      expect(maxent.regularizer.kl).toBeNull();
      expect(maxent.regularizer.entropy).toMatchObject({ estimator: 'sampled', placement: 'reward' });
      expect(loadTrainConfig('po', abs(`configs/paper/${size}/dpo.yaml`))).toMatchObject({
        loss: 'dpo',
        beta: 0.05,
      });
      expect(loadTrainConfig('po', abs(`configs/paper/${size}/simpo.yaml`))).toMatchObject({
        loss: 'simpo',
        beta: 2,
        gamma: 0.5,
      });
      for (const f of ['sft', 'rm', 'dpo'])
        expect(loadTrainConfig(kindOf(f) as 'sft', abs(`configs/paper/${size}/${f}.yaml`)).optim.lr).toBe(
          3e-6,
        );
    }
  });

  it('the paper presets say which values are our choices and that the coefficients are not public', () => {
    const text = readFileSync(abs('configs/paper/pythia-1b/rl-maxent.yaml'), 'utf8');
    expect(text).toMatch(/ {4}coef: .*\[ours\].*not public/);
    expect(readFileSync(abs('configs/paper/pythia-1b/sweep-online.yaml'), 'utf8')).toMatch(/not public/);
  });

  it('the lab presets read only what `maxent-rlhf demo` wrote and write under runs/lab', () => {
    for (const path of presets.filter((p) => p.startsWith('configs/lab/') && kindOf(p) !== 'sweep')) {
      const kind = kindOf(path);
      const c = (
        kind === 'bon' ? loadBestOfNConfig(abs(path)) : loadTrainConfig(kind as TrainKind, abs(path))
      ) as Record<string, unknown>;
      expect(c.out).toMatch(/^runs\/lab\//);
      const data = (c.data ?? {}) as Record<string, unknown>;
      const ev = (c.eval ?? {}) as Record<string, unknown>;
      const inputs = {
        ...c,
        train: data.train,
        eval: data.eval,
        prompts: data.prompts,
        evalPrompts: ev.prompts,
      };
      for (const key of ['model', 'reference', 'reward', 'train', 'eval', 'prompts', 'evalPrompts']) {
        const v = inputs[key as keyof typeof inputs];
        if (typeof v === 'string') expect(v, `${path}: ${key}`).toMatch(/^runs\/demo\//);
      }
    }
  });
});

describe('docs/configs.md', () => {
  it('equals the text generated from the schemas (run `npx tsx scripts/gen-config-docs.ts`)', () => {
    expect(readFileSync(abs('docs/configs.md'), 'utf8')).toBe(configDocsMarkdown());
  });

  it('gives every knob of every schema a type, a default (or "required") and a meaning', () => {
    for (const d of DOCUMENTED) {
      const rows = configDocRows(d.schema);
      expect(rows.length).toBeGreaterThan(5);
      for (const r of rows) {
        expect(r.meaning, `${d.title}: ${r.key}`).not.toBe('');
        expect(r.type, `${d.title}: ${r.key}`).not.toBe('any');
        expect(r.default).not.toBe('');
      }
    }
  });

  it('documents defaults as the schemas apply them', () => {
    const rl = configDocRows(DOCUMENTED.find((d) => d.title.startsWith('rl'))!.schema);
    expect(rl.find((r) => r.key === 'temperature')).toMatchObject({ default: '`0.7`', type: 'number > 0' });
    expect(rl.find((r) => r.key === 'model')).toMatchObject({ default: 'required' });
    expect(rl.find((r) => r.key === 'missingEosPenalty')!.type).toBe('number or null');
  });
});
