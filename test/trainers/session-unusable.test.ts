/** A run folder whose checkpoints are all unusable is not silently restarted (that would discard its metrics). */
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { tensor } from '../../src/tensor/index.ts';
import { OnlineTrainConfigSchema } from '../../src/trainers/online/config.ts';
import { TabularPolicy } from '../../src/trainers/online/tabular-policy.ts';
import { trainOnline } from '../../src/trainers/online/trainer.ts';

const dir = mkdtempSync(join(tmpdir(), 'unusable-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (steps: number) =>
  trainOnline({
    runDir: dir,
    name: 'b',
    reference: null,
    log: () => {},
    config: OnlineTrainConfigSchema.parse({
      algorithm: 'rloo',
      steps,
      promptsPerStep: 8,
      lr: 0.05,
      temperature: 1,
      maxNewTokens: 1,
      missingEosPenalty: null,
      regularizer: { entropy: { coef: 0.5 } },
      evalEvery: 0,
      checkpointEvery: 2,
      keepCheckpoints: 2,
    }),
    policy: new TabularPolicy([[0, 0, 0]]),
    reward: (r) => tensor([1, 0, -1], { dtype: 'float64' }).indexSelect(0, r.responseIds.reshape(-1)),
    prompts: { count: 1, batch: (idx) => TabularPolicy.prompts(idx) },
  });

it('refuses to resume when every checkpoint is corrupt, and leaves the metrics untouched', async () => {
  await run(4);
  const ckDir = join(dir, 'checkpoints');
  for (const ck of readdirSync(ckDir)) truncateSync(join(ckDir, ck, 'tensors.safetensors'), 10);
  const before = readFileSync(join(dir, 'metrics.jsonl'), 'utf8');
  await expect(run(6)).rejects.toThrow(/every checkpoint in .* is unusable .* --fresh/);
  expect(readFileSync(join(dir, 'metrics.jsonl'), 'utf8')).toBe(before);
});
