/**
 * `--set __proto__.x=1` and a config file with a `__proto__` key never reach Object.prototype; a
 * batch wider than V8's argument limit does not overflow the stack.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, loadConfigFile, parseOverrides } from '../../src/config/load.ts';
import { leftPadded } from '../../src/trainers/adapters/text-io.ts';
import { collate } from '../../src/trainers/offline/batching.ts';

const root = mkdtempSync(join(tmpdir(), 'config-keys-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const schema = z.object({ lr: z.number().default(1) }).strict();

describe('prototype keys', () => {
  for (const key of ['__proto__.polluted', 'a.__proto__.polluted', 'constructor.prototype.polluted']) {
    it(`--set ${key}=1 is refused naming the flag`, () => {
      expect(() => parseOverrides([`${key}=1`])).toThrow(ConfigError);
      expect(() => parseOverrides([`${key}=1`])).toThrow(`--set ${key}=1`);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  }

  it('a YAML file with a __proto__ key is refused naming the file and the key', () => {
    const file = join(root, 'c.yaml');
    writeFileSync(file, 'lr: 2\nnested:\n  __proto__:\n    polluted: 1\n');
    expect(() => loadConfigFile(schema, file)).toThrow(/c\.yaml: "nested\.__proto__" is not a config key/);
    writeFileSync(file, '{"__proto__": {"polluted": 1}}\n');
    expect(() => loadConfigFile(schema, file)).toThrow(/"__proto__" is not a config key/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('batches wider than a call stack', () => {
  it('collate and leftPadded take 200,000 rows (Math.max(...rows) overflowed the stack)', () => {
    const examples = Array.from({ length: 200_000 }, (_, i) => ({
      ids: i === 7 ? [1, 2, 3] : [1, 2],
      promptLength: 1,
    }));
    const batch = collate(examples, 0);
    expect(batch.ids.shape).toEqual([200_000, 3]);
    batch.ids.dispose();
    batch.attentionMask.dispose();
    batch.lossMask.dispose();
    const rows = Array.from({ length: 200_000 }, (_, i) => (i === 3 ? [5, 6] : [5]));
    const padded = leftPadded(rows, 0, [0]);
    expect(padded.ids.shape).toEqual([200_000, 2]);
    padded.ids.dispose();
    padded.mask.dispose();
  });
});
