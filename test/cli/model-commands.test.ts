/**
 * `init-model` and `generate` through the CLI: a tiny Pythia-layout model on the lab tokenizer, and
 * generate --json's output shape (prompt_ids, generated_ids, text, logprobs), reproducible by seed.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { writeLabTokenizerFiles } from '../../src/lab/task/index.ts';
import { loadConfig } from '../../src/models/index.ts';
import { Tokenizer } from '../../src/models/tokenizer/index.ts';

const root = mkdtempSync(join(tmpdir(), 'cli-models-'));
const tokDir = join(root, 'tok');
const model = join(root, 'tiny');
let tokenizer: Tokenizer;
afterAll(() => rmSync(root, { recursive: true, force: true }));

let stdout: string[] = [];
let stderr: string[] = [];
beforeEach(() => {
  stdout = [];
  stderr = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void stdout.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void stderr.push(a.join(' ')));
});
afterEach(() => vi.restoreAllMocks());

beforeAll(async () => {
  await writeLabTokenizerFiles(tokDir);
  tokenizer = await Tokenizer.fromFolder(tokDir);
});

const PROMPT = 'my landlord borrows my car . should i call police ?';

async function generateJson(args: string[]): Promise<Record<string, unknown>[]> {
  stdout = [];
  expect(await main(['generate', '--model', model, '--json', ...args])).toBe(0);
  return stdout.map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('init-model', () => {
  it('writes a pythia-tiny snapshot whose vocabulary is the given tokenizer', async () => {
    expect(
      await main([
        'init-model',
        '--config',
        'pythia-tiny',
        '--out',
        model,
        '--tokenizer',
        tokDir,
        '--seed',
        '3',
      ]),
    ).toBe(0);
    expect(stdout.join('\n')).toMatch(
      new RegExp(
        `^pythia-tiny: [\\d,]+ parameters \\(hidden 64, 2 layers, 4 heads, vocab ${tokenizer.vocabSize}\\)`,
      ),
    );
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json'])
      expect(existsSync(join(model, f))).toBe(true);
    const config = await loadConfig(model);
    expect(config.vocabSize).toBe(tokenizer.vocabSize);
    expect(config.eosTokenId).toBe(tokenizer.eosId);
  });

  it('rejects an unknown size, naming the known ones', async () => {
    expect(await main(['init-model', '--config', 'pythia-3b', '--out', join(root, 'x')])).not.toBe(0);
    expect(stderr.join('\n')).toMatch(/unknown model config "pythia-3b"; known: .*pythia-1b/);
  });
});

describe('generate --json', () => {
  it('prints one object per prompt with prompt_ids, generated_ids, text and logprobs', async () => {
    const [r, ...rest] = await generateJson(['--prompt', PROMPT, '--max-new-tokens', '6', '--seed', '5']);
    expect(rest).toEqual([]);
    expect(Object.keys(r!).sort()).toEqual([
      'generated_ids',
      'logprobs',
      'prompt_ids',
      'sampling_logprobs',
      'text',
    ]);
    expect(r!.prompt_ids).toEqual(tokenizer.encode(PROMPT));
    const ids = r!.generated_ids as number[];
    const logprobs = r!.logprobs as number[];
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.length).toBeLessThanOrEqual(6);
    expect(logprobs).toHaveLength(ids.length);
    expect((r!.sampling_logprobs as number[]).length).toBe(ids.length);
    for (const lp of logprobs) expect(lp).toBeLessThanOrEqual(0);
    for (const id of ids) expect(Number.isInteger(id) && id >= 0 && id < tokenizer.vocabSize).toBe(true);
    expect(r!.text).toBe(tokenizer.decode(ids, { skipSpecialTokens: true, unknownIds: 'skip' }));
  });

  it('is reproducible by seed, takes --prompt-ids, and repeats --prompt for a batch', async () => {
    const args = ['--max-new-tokens', '8', '--temperature', '1.5', '--top-k', '20', '--top-p', '0.9'];
    const a = await generateJson(['--prompt', PROMPT, ...args, '--seed', '11']);
    const b = await generateJson([
      '--prompt-ids',
      tokenizer.encode(PROMPT).join(','),
      ...args,
      '--seed',
      '11',
    ]);
    expect(b).toEqual(a);
    const seeds: unknown[] = [];
    for (const s of [12, 13, 14, 15])
      seeds.push((await generateJson(['--prompt', PROMPT, ...args, '--seed', String(s)]))[0]!.generated_ids);
    expect(seeds.some((g) => JSON.stringify(g) !== JSON.stringify(a[0]!.generated_ids))).toBe(true);
    const two = await generateJson([
      '--prompt',
      PROMPT,
      '--prompt',
      'my boss',
      '--greedy',
      '--max-new-tokens',
      '4',
    ]);
    expect(two.map((r) => r.prompt_ids)).toEqual([tokenizer.encode(PROMPT), tokenizer.encode('my boss')]);
  });

  it('greedy decoding ignores the seed', async () => {
    const a = await generateJson(['--prompt', PROMPT, '--greedy', '--max-new-tokens', '5', '--seed', '1']);
    const b = await generateJson(['--prompt', PROMPT, '--greedy', '--max-new-tokens', '5', '--seed', '2']);
    expect(b).toEqual(a);
  });

  it('prints plain text without --json', async () => {
    expect(
      await main(['generate', '--model', model, '--prompt', PROMPT, '--greedy', '--max-new-tokens', '4']),
    ).toBe(0);
    const [json] = await generateJson(['--prompt', PROMPT, '--greedy', '--max-new-tokens', '4']);
    expect(stdout).toHaveLength(1);
    expect(json!.text).toBeDefined();
  });

  it.each([
    [['--prompt', PROMPT, '--prompt-ids', '1,2'], /not both/],
    [[], /give --prompt TEXT or --prompt-ids/],
    [['--prompt-ids', '1,x'], /--prompt-ids expects comma-separated token ids/],
    [['--prompt', PROMPT, '--greedy', '--temperature', '0.5'], /--greedy .*--temperature would be ignored/],
    [['--prompt', PROMPT, '--temperature', 'hot'], /expected a number/],
  ])('rejects %j', async (args, message) => {
    expect(await main(['generate', '--model', model, ...args])).not.toBe(0);
    expect(stderr.join('\n')).toMatch(message);
  });
});
