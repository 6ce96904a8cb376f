/**
 * A snapshot folder's own metadata is not trusted blindly: a weights index whose weight_map names
 * a file outside the folder is refused before that file is opened, and a folder with a manifest.json
 * (a run's model/) that no longer matches its weights is refused, naming the file.
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCausalLM } from '../../src/models/checkpoint/load-model.ts';
import { GPTNeoXForCausalLM } from '../../src/models/gptneox/model.ts';
import { saveModelDir } from '../../src/runs/model-dir.ts';
import { tempDir, tinyConfig, wideRandomState } from './model-fixtures.ts';

const config = tinyConfig();
let root: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  root = await tempDir('untrusted-snapshot-');
});
afterAll(() => root.remove());

describe('a weights index naming files outside its folder', () => {
  for (const target of ['../outside.safetensors', '/etc/passwd', '../../../../etc/passwd', 'a/../../x']) {
    it(`weight_map → ${target} is refused naming the index and the name`, async () => {
      const dir = join(root.path, `sharded-${target.replace(/\W+/g, '-')}`);
      const model = new GPTNeoXForCausalLM(config, wideRandomState(config, 'causal-lm', 2));
      await model.save(dir, { maxShardBytes: 30_000 });
      const indexPath = join(dir, 'model.safetensors.index.json');
      const index = JSON.parse(await readFile(indexPath, 'utf8'));
      const first = Object.keys(index.weight_map)[0]!;
      // A real safetensors file outside the folder: the old loader would have read it.
      await copyFile(join(dir, index.weight_map[first]), join(root.path, 'outside.safetensors'));
      index.weight_map[first] = target;
      await writeFile(indexPath, JSON.stringify(index));
      await expect(loadCausalLM(dir)).rejects.toThrow(
        `${indexPath}: weight_map names ${JSON.stringify(target)}, which is not a file inside its folder`,
      );
    });
  }
});

describe('a model folder whose manifest no longer matches', () => {
  it('loads while it matches; a replaced weights file (same size) is refused naming it', async () => {
    const dir = join(root.path, 'run', 'model');
    await mkdir(join(root.path, 'run'), { recursive: true });
    const model = new GPTNeoXForCausalLM(config, wideRandomState(config, 'causal-lm', 2));
    await saveModelDir(dir, (d) => model.save(d));
    (await loadCausalLM(dir)).dispose();
    const weights = join(dir, 'model.safetensors');
    const bytes = await readFile(weights);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0x01; // one bit of the last tensor
    await writeFile(weights, bytes);
    await expect(loadCausalLM(dir)).rejects.toThrow(`${weights} fails its sha256 check`);
  });
});
