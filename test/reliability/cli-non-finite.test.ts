/**
 * Issue 17, items 1–2 through the command line, each in a child process (a native crash would show
 * as a signal): `rl --set optim.lr=1e6` blows the policy up at its first update. It must stop at that step
 * naming the non-finite measurement (not die later inside sampling), mark run.json failed, exit 1,
 * save nothing after the last good checkpoint, and advise clipping only when it is off. `generate`
 * with sampling on a snapshot whose weights are NaN must fail naming the weights.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTensors, saveTensors } from '../../src/io/tensor-io.ts';
import { checkpointSteps, loggedSteps } from './fixtures/child.ts';
import { cli, type LabSetup, labSetup } from './fixtures/cli-lab.ts';
import { rawTensors } from './fixtures/compare.ts';

const root = mkdtempSync(join(tmpdir(), 'reliability-cli-nan-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let lab: LabSetup;
beforeAll(async () => {
  lab = await labSetup(root);
});

const runJson = (dir: string) => JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));

/** Every float32 value of every checkpoint of `dir` is finite. */
function checkpointsFinite(dir: string): boolean {
  return checkpointSteps(dir).every((step) => {
    const file = join(dir, 'checkpoints', `step-${String(step).padStart(8, '0')}`, 'tensors.safetensors');
    return [...rawTensors(file).values()].every((t) => {
      if (t.dtype !== 'F32') return true;
      for (let i = 0; i < t.bytes.length; i += 4) if (!Number.isFinite(t.bytes.readFloatLE(i))) return false;
      return true;
    });
  });
}

describe('rl --set optim.lr=1e6', () => {
  it('stops at step 1 naming policy/kl_prev; run.json failed; exit 1; nothing saved', async () => {
    const out = join(root, 'rl-1e6');
    const r = await cli(['rl', '--config', lab.config('rl.yaml', lab.rl(out)), '--set', 'optim.lr=1e6']);
    expect(r.signal, r.stderr).toBeNull();
    expect(r.code, r.stderr).toBe(1);
    const message =
      'non-finite policy/kl_prev (NaN) at step 1; training stopped without saving. No checkpoint was written yet.';
    expect(r.stderr).toContain(message);
    // Clipping is on (maxGradNorm defaults to 1): the advice must not be to enable it.
    expect(r.stderr).toContain('gradient clipping is already on: maxGradNorm 1');
    expect(r.stderr).not.toContain('enable gradient clipping');
    const info = runJson(out);
    expect(info.status).toBe('failed');
    expect(info.error).toContain(message);
    // The update that produced NaN is never checkpointed, and no line is logged for its step.
    expect(checkpointSteps(out)).toEqual([]);
    expect(checkpointsFinite(out)).toBe(true);
    expect(loggedSteps(out)).toEqual([]);
    expect(existsSync(join(out, 'model'))).toBe(false);
    expect(existsSync(join(out, 'run.lock'))).toBe(false);
  });

  it('resumed with a huge learning rate after 2 good steps: the last good checkpoint is kept and named', async () => {
    const out = join(root, 'rl-resume');
    const config = lab.config('rl-resume.yaml', lab.rl(out));
    const first = await cli(['rl', '--config', config, '--set', 'steps=2']);
    expect(first.code, first.stderr).toBe(0);
    const good = join(out, 'checkpoints', 'step-00000002', 'manifest.json');
    const goodManifest = readFileSync(good);

    const r = await cli(['rl', '--config', config, '--set', 'optim.lr=1e30']);
    expect(r.signal, r.stderr).toBeNull();
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/non-finite policy\/kl_prev \(NaN\) at step 3; training stopped without saving/);
    expect(r.stderr).toContain('Last good checkpoint: step-00000002.');
    expect(checkpointSteps(out)).toEqual([1, 2]);
    expect(readFileSync(good)).toEqual(goodManifest);
    expect(checkpointsFinite(out)).toBe(true);
    expect(loggedSteps(out)).toEqual([1, 2]);
    const info = runJson(out);
    expect(info.status).toBe('failed');
    // run.json keeps what the weights were trained with: lr 3e-4 for steps 1–2, then 1e30.
    expect(
      info.configHistory.map((e: { step: number; config: { lr: number } }) => [e.step, e.config.lr]),
    ).toEqual([
      [0, 3e-4],
      [2, 1e30],
    ]);
    expect(info.configHistory[1].changed).toEqual(['lr', 'steps']);
    expect(info.config.lr).toBe(1e30);
  });
});

describe('generate on a snapshot with NaN weights', () => {
  it('sampled and greedy: exit 1 naming the model and the weight, not a crash or silent garbage', async () => {
    const model = join(root, 'nan-model');
    cpSync(lab.init, model, { recursive: true });
    const { tensors } = await loadTensors(join(model, 'model.safetensors'));
    await saveTensors(
      join(model, 'model.safetensors'),
      new Map([...tensors].map(([name, t]) => [name, t.mul(Number.NaN)])),
    );
    for (const mode of [['--temperature', '1'], ['--greedy']]) {
      const r = await cli([
        'generate',
        '--model',
        model,
        '--prompt',
        'my landlord',
        '--max-new-tokens',
        '4',
        ...mode,
      ]);
      expect(r.signal, r.stderr).toBeNull();
      expect(r.code, `${mode}: ${r.stderr}`).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(`the model ${model} is unusable: its weight gpt_neox\\.\\S+ holds \\d+ non-finite values`),
      );
      expect(r.stdout).toBe('');
    }
    expect(readdirSync(model)).toContain('model.safetensors');
  });
});
