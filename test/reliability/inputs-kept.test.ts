/**
 * A run never destroys what it reads or what an earlier run wrote: an input model inside the run
 * folder is refused before anything is deleted (with or without --fresh), a finished run given
 * another config is refused without touching its run.json, and a run whose checkpoints were deleted
 * refuses to retrain over its metrics log.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, type LabSetup, labSetup } from './fixtures/cli-lab.ts';

const root = mkdtempSync(join(tmpdir(), 'reliability-inputs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let lab: LabSetup;
beforeAll(async () => {
  lab = await labSetup(root);
});

/** Every file under `dir` with its bytes, to compare before and after. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[p] = readFileSync(p).toString('base64');
    }
  };
  walk(dir);
  return out;
}

describe('an input model inside the run folder', () => {
  for (const fresh of [false, true]) {
    it(`model = DIR/model, out = DIR${fresh ? ' --fresh' : ''}: refused naming out and model, nothing deleted`, async () => {
      const dir = join(root, `owned-${fresh}`);
      cpSync(lab.init, join(dir, 'model'), { recursive: true });
      const before = snapshot(dir);
      const config = lab.config(`owned-${fresh}.yaml`, lab.sft(dir, { model: join(dir, 'model') }));
      const r = await cli(['sft', '--config', config, ...(fresh ? ['--fresh'] : [])]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(
        `maxent-rlhf: out: ${dir} would overwrite model ${join(dir, 'model')} (it lies in ${join(dir, 'model')}, which the run writes (and --fresh deletes)); choose another out`,
      );
      expect(snapshot(dir)).toEqual(before);
    });
  }

  it('model = out (the snapshot folder itself) is refused too', async () => {
    const dir = join(root, 'same');
    cpSync(lab.init, dir, { recursive: true });
    const config = lab.config('same.yaml', lab.sft(dir, { model: dir }));
    const r = await cli(['sft', '--config', config]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`out: ${dir} would overwrite model ${dir} (it is the run folder itself)`);
    expect(existsSync(join(dir, 'run.json'))).toBe(false);
  });
});

describe('a finished run', () => {
  const out = join(root, 'finished');
  let config = '';
  beforeAll(async () => {
    config = lab.config('finished.yaml', lab.sft(out, { steps: 2 }));
    const r = await cli(['sft', '--config', config]);
    expect(r.code, r.stderr).toBe(0);
  });

  it('given another config is refused, naming the keys; run.json and metrics unchanged', async () => {
    const runJson = readFileSync(join(out, 'run.json'));
    const log = readFileSync(join(out, 'metrics.jsonl'));
    const r = await cli(['sft', '--config', config, '--set', 'optim.lr=0.001', '--set', 'seed=9']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${out} already finished with another config (optim, seed differ)`);
    expect(r.stderr).toContain('Pass --fresh to train it again with this config');
    expect(readFileSync(join(out, 'run.json'))).toEqual(runJson);
    expect(readFileSync(join(out, 'metrics.jsonl'))).toEqual(log);
  });

  it('with model/ and checkpoints/ deleted, a rerun refuses to replace metrics.jsonl', async () => {
    rmSync(join(out, 'model'), { recursive: true });
    rmSync(join(out, 'checkpoints'), { recursive: true });
    const log = readFileSync(join(out, 'metrics.jsonl'));
    const mtime = statSync(join(out, 'metrics.jsonl')).mtimeMs;
    // Changed config, so the "already finished" check does not apply: the session must refuse.
    const r = await cli(['sft', '--config', config, '--set', 'steps=3']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${join(out, 'metrics.jsonl')} logs steps up to 2, but ${join(out, 'checkpoints')} holds no checkpoint`,
    );
    expect(readFileSync(join(out, 'metrics.jsonl'))).toEqual(log);
    expect(statSync(join(out, 'metrics.jsonl')).mtimeMs).toBe(mtime);
  });
});
