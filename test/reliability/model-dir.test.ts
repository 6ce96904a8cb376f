/**
 * Issue 17, item 5: a finished run whose model/ was deleted or truncated. Rerunning the command
 * must not answer "already finished": it says what is wrong and rebuilds model/ from the final
 * checkpoint (bit-identical to the model first written, verified by its manifest); without that
 * checkpoint it fails and names --fresh. An intact model/ is still "already finished".
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelDirProblem } from '../../src/runs/model-dir.ts';
import { loggedSteps } from './fixtures/child.ts';
import { cli, type LabSetup, labSetup } from './fixtures/cli-lab.ts';

const root = mkdtempSync(join(tmpdir(), 'reliability-model-dir-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let lab: LabSetup;
const out = join(root, 'sft');
let config = '';
let original: Buffer;
beforeAll(async () => {
  lab = await labSetup(root);
  config = lab.config('sft.yaml', lab.sft(out, { steps: 4, checkpointEvery: 2 }));
  const r = await cli(['sft', '--config', config]);
  expect(r.code, r.stderr).toBe(0);
  original = readFileSync(join(out, 'model', 'model.safetensors'));
});

const weights = () => join(out, 'model', 'model.safetensors');

describe('a finished run without its model', () => {
  it('model/ is written with a manifest that verifies', () => {
    expect(existsSync(join(out, 'model', 'manifest.json'))).toBe(true);
    expect(modelDirProblem(join(out, 'model'))).toBeNull();
  });

  for (const [label, damage, problem] of [
    [
      'deleted',
      () => rmSync(join(out, 'model'), { recursive: true }),
      () => `${join(out, 'model')} is missing`,
    ],
    [
      'truncated',
      () => truncateSync(weights(), 100),
      () => `${weights()} has 100 bytes, its manifest says ${original.length}`,
    ],
  ] as const) {
    it(`model/ ${label}: rebuilt from the final checkpoint, bit-identical, saying so`, async () => {
      damage();
      const r = await cli(['sft', '--config', config]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).not.toContain('already finished');
      expect(r.stderr).toContain(`${out} finished, but ${problem()}`);
      expect(r.stderr).toContain('rebuilding model/ from its final checkpoint step-00000004');
      expect(r.stdout).not.toMatch(/sft step \d/);
      expect(readFileSync(weights())).toEqual(original);
      expect(modelDirProblem(join(out, 'model'))).toBeNull();
      expect(loggedSteps(out)).toEqual([1, 2, 3, 4]);
      expect(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).status).toBe('done');
    });
  }

  it('an intact model/ is still "already finished"', async () => {
    const r = await cli(['sft', '--config', config]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('already finished with this config');
  });

  it('without the final checkpoint, the error names --fresh', async () => {
    rmSync(join(out, 'checkpoints', 'step-00000004'), { recursive: true });
    rmSync(join(out, 'model'), { recursive: true });
    const r = await cli(['sft', '--config', config]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${out} finished, but ${join(out, 'model')} is missing`);
    expect(r.stderr).toContain('the checkpoint of its final step 4 is gone: pass --fresh to train it again');
    expect(loggedSteps(out)).toEqual([1, 2, 3, 4]);
  });
});
