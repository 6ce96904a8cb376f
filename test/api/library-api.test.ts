/**
 * Issue 26, item 5 (the library half this branch owns): training a model loaded frozen is a clear
 * error before any step (it failed deep in libtorch: "element 0 of tensors does not require grad"),
 * generate() takes eos/pad from the tokenizer, Tensor.tolist() nests by the shape, and the root
 * export is the documented API without internals.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSftDataset } from '../../src/data/index.ts';
import * as root from '../../src/index.ts';
import { LAB_FILES } from '../../src/lab/task/index.ts';
import { generate, loadCausalLM, Tokenizer } from '../../src/models/index.ts';
import { tensor, tidy } from '../../src/tensor/index.ts';
import { SftConfigSchema } from '../../src/trainers/offline/config.ts';
import { trainSft } from '../../src/trainers/offline/sft.ts';
import { type LabSetup, labSetup } from '../reliability/fixtures/cli-lab.ts';

const dir = mkdtempSync(join(tmpdir(), 'library-api-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let lab: LabSetup;
beforeAll(async () => {
  lab = await labSetup(dir);
});

describe('training needs trainable weights', () => {
  it('a frozen model is refused before the first step, saying how to load it', async () => {
    const tokenizer = await Tokenizer.fromFolder(lab.init);
    const { examples } = await loadSftDataset(join(lab.data, LAB_FILES.sftTrain), { limit: 8 });
    const config = SftConfigSchema.parse({
      model: lab.init,
      out: join(dir, 'sft'),
      data: { train: 'unused' },
      maxPromptTokens: 48,
      maxTotalTokens: 80,
      steps: 1,
      batchSize: 4,
      evalEvery: 0,
    });
    const frozen = await loadCausalLM(lab.init);
    try {
      await expect(
        trainSft({ config, model: frozen, tokenizer, train: examples, eval: [], log: () => {} }),
      ).rejects.toThrow(/the model is frozen .*loadCausalLM\(dir, \{ trainable: true \}\)/);
    } finally {
      frozen.dispose();
    }
    const trainable = await loadCausalLM(lab.init, { trainable: true });
    try {
      await expect(
        trainSft({ config, model: trainable, tokenizer, train: examples, eval: [], log: () => {} }),
      ).resolves.toBe(join(dir, 'sft'));
    } finally {
      trainable.dispose();
    }
  });
});

describe('generate', () => {
  it('takes eos and pad from the tokenizer: the same tokens as with the ids given', async () => {
    const tokenizer = await Tokenizer.fromFolder(lab.init);
    const model = await loadCausalLM(lab.init);
    try {
      const ids = tokenizer.encode('SUBREDDIT: r/cats TITLE: my cat TL;DR:');
      tidy(() => {
        const prompts = {
          ids: tensor([ids], { dtype: 'int64' }),
          mask: tensor([ids.map(() => 1)], { dtype: 'int64' }),
        };
        const a = generate(model, prompts, { greedy: true, maxNewTokens: 6, tokenizer }).tokens.tolist();
        const b = generate(model, prompts, {
          greedy: true,
          maxNewTokens: 6,
          eosId: tokenizer.eosId,
          padId: tokenizer.padId,
        }).tokens.tolist();
        expect(a).toEqual(b);
        expect(() => generate(model, prompts, { greedy: true, maxNewTokens: 2 })).toThrow(
          /pass \{ tokenizer \}/,
        );
      });
    } finally {
      model.dispose();
    }
  });
});

describe('Tensor.tolist', () => {
  it('nests by the shape (0-d, 1-d, 3-d), as PyTorch', () => {
    tidy(() => {
      expect(tensor(2.5).tolist()).toBe(2.5);
      expect(tensor([1, 2]).tolist()).toEqual([1, 2]);
      const t = tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]).reshape(2, 3, 2);
      expect(t.tolist()).toEqual([
        [
          [0, 1],
          [2, 3],
          [4, 5],
        ],
        [
          [6, 7],
          [8, 9],
          [10, 11],
        ],
      ]);
      expect(t.toArray()).toHaveLength(12); // toArray stays flat
    });
  });
});

describe('the root export', () => {
  it('holds the everyday API and no internals', () => {
    const names = Object.keys(root);
    for (const everyday of [
      'tensor',
      'tidy',
      'loadCausalLM',
      'Tokenizer',
      'generate',
      'dpoLoss',
      'trainSft',
      'trainOnline',
      'loadPreferenceDataset',
    ])
      expect(names, everyday).toContain(everyday);
    for (const internal of [
      'GIB',
      'fmtBytes',
      'BYTE_TO_UNICODE',
      'backwardWeighted',
      'MasterWeights',
      'CRITIC_PREFIX',
    ])
      expect(names, internal).not.toContain(internal);
    expect(names.length).toBeLessThan(80); // was 329
  });
});
