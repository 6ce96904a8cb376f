/** `demo --seeds`: parsing, the per-preset defaults and the seed folders; the presets as overrides. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultSeeds, parseSeeds, seedFolder } from '../../src/cli/commands/demo.ts';
import { main } from '../../src/cli/main.ts';
import { DEMO_PRESETS, withOverrides } from '../../src/lab/demo/config.ts';
import { onlineGrid } from '../../src/lab/demo/pipeline.ts';

describe('demo --seeds', () => {
  it('parses a comma-separated list', () => {
    expect(parseSeeds('1,2,3')).toEqual([1, 2, 3]);
    expect(parseSeeds(' 7 , 0')).toEqual([7, 0]);
  });
  it('names the bad entry', () => {
    expect(() => parseSeeds('1,x')).toThrow(/--seeds: "x" is not a non-negative integer/);
    expect(() => parseSeeds('1,,2')).toThrow(/--seeds: "" is not/);
    expect(() => parseSeeds('1.5')).toThrow(/"1.5"/);
    expect(() => parseSeeds('2,2')).toThrow(/repeats a seed/);
  });
  it('runs three seeds by default and one for --quick and --smoke', () => {
    expect(defaultSeeds('default')).toEqual([1, 2, 3]);
    expect(defaultSeeds('quick')).toHaveLength(1);
    expect(defaultSeeds('smoke')).toHaveLength(1);
    expect(defaultSeeds('wide')).toEqual([1]);
    expect(seedFolder('runs/demo', 2)).toBe('runs/demo/seed-2');
  });
});

afterEach(() => vi.restoreAllMocks());

/** Exit code and stderr of the CLI on `argv` (errors are caught before any stage runs). */
async function failing(argv: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    err += `${args.join(' ')}\n`;
  });
  const code = await main(argv);
  vi.restoreAllMocks();
  return { code, err };
}

describe('demo --scale', () => {
  it('names a bad scale and refuses wide with --quick or --smoke', async () => {
    const bad = await failing(['demo', '--scale', 'huge', '--out', '/nonexistent/never']);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/--scale must be lab or wide, got "huge"/);
    const quick = await failing(['demo', '--scale', 'wide', '--quick', '--out', '/nonexistent/never']);
    expect(quick.code).not.toBe(0);
    expect(quick.err).toMatch(/--scale wide .*drop --quick\/--smoke/);
  });
});

describe('demo presets', () => {
  it('quick and smoke are the default with overrides: what they do not name is the default', () => {
    const d = DEMO_PRESETS.default;
    // quick names no SFT, PPO or model setting: those are the default's.
    expect(DEMO_PRESETS.quick.sft).toEqual(d.sft);
    expect(DEMO_PRESETS.quick.ppo).toEqual(d.ppo);
    expect(DEMO_PRESETS.quick.model).toEqual(d.model);
    // A named key replaces only itself within its block.
    expect(DEMO_PRESETS.quick.rl.steps).not.toBe(d.rl.steps);
    expect(DEMO_PRESETS.quick.rl.klCoef).toBe(d.rl.klCoef);
    expect(DEMO_PRESETS.smoke.rl.schedule).toBe(d.rl.schedule);
    const o = withOverrides(d, { rl: { steps: 7 }, maxNewTokens: 5 });
    expect(o.rl).toEqual({ ...d.rl, steps: 7 });
    expect(o.maxNewTokens).toBe(5);
    expect(o.sft).toBe(d.sft);
  });

  it('the wide scale changes the policy, not the training: every rate, β, α and step count is the default', () => {
    const d = DEMO_PRESETS.default;
    const w = DEMO_PRESETS.wide;
    expect(w.model.hidden).toBeGreaterThan(d.model.hidden);
    expect(w.model.layers).toBeGreaterThan(d.model.layers);
    for (const block of ['data', 'preferences', 'sft', 'rm', 'ppo', 'bon'] as const)
      expect(w[block]).toEqual(d[block]);
    const { entropyDose: wd, ...wrl } = w.rl;
    const { entropyDose: dd, ...drl } = d.rl;
    expect(wrl).toEqual(drl);
    expect(dd).toEqual(expect.arrayContaining(wd));
    const { gammaDose: wg, ...wpo } = w.po;
    const { gammaDose: dg, ...dpo } = d.po;
    expect(wpo).toEqual(dpo);
    expect(dg).toEqual(expect.arrayContaining(wg));
  });

  it('gives every online run of a preset the same budget: steps × one constant rate', () => {
    for (const preset of ['default', 'quick', 'smoke', 'wide'] as const) {
      const cfg = DEMO_PRESETS[preset];
      expect(cfg.rl.schedule).toBe('constant');
      const grid = onlineGrid(cfg);
      // The dose at the highest rate includes α = 0 with no regulariser.
      const top = Math.max(...cfg.rl.lrs);
      const dose = grid.filter((g) => g.labels.arm === 'entropy-dose');
      expect(dose.map((g) => g.coef)).toEqual(cfg.rl.entropyDose);
      expect(dose.every((g) => g.lr === top)).toBe(true);
      expect(dose.find((g) => g.coef === 0)!.regularizer).toEqual({});
    }
  });
});
