/**
 * Issue 17, items 6–7 through `main([...])`: nothing bad is accepted silently, and every message
 * names the file, flag or config key it is about — unknown words in `generate` (a warning, an error
 * with --strict), prompts and training lengths beyond the model's max_position_embeddings, token
 * ids beyond the embedding, a truncated or deleted metrics.jsonl on resume, the config history in
 * run.json, run.json / config.json that are not JSON, --set keys and values, a dashboard on a
 * missing folder.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { type LabSetup, labSetup } from '../reliability/fixtures/cli-lab.ts';

const root = mkdtempSync(join(tmpdir(), 'cli-messages-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let lab: LabSetup;
/** The lab model with only 24 positions (rotary: no position weights to change). */
let short = '';
beforeAll(async () => {
  lab = await labSetup(root);
  short = join(root, 'short');
  cpSync(lab.init, short, { recursive: true });
  const config = JSON.parse(readFileSync(join(short, 'config.json'), 'utf8'));
  writeFileSync(join(short, 'config.json'), JSON.stringify({ ...config, max_position_embeddings: 24 }));
});

let stdout: string[] = [];
let stderr: string[] = [];
beforeEach(() => {
  stdout = [];
  stderr = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void stdout.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void stderr.push(a.join(' ')));
});
afterEach(() => vi.restoreAllMocks());

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const code = await main(argv);
  return { code, out: stdout.join('\n'), err: stderr.join('\n') };
}

describe('generate: what the model cannot read', () => {
  const gen = (...args: string[]) => run(['generate', '--max-new-tokens', '3', ...args]);

  it('words outside the vocabulary become <unk> with a warning naming them; --strict makes it an error', async () => {
    const prompt = 'my landlord xyzzy borrows plugh';
    const expected = `prompt 1: 2 word(s) not in the vocabulary of ${join(lab.init, 'tokenizer.json')} become the unknown token <unk>: "xyzzy", "plugh"`;
    const warned = await gen('--model', lab.init, '--prompt', prompt, '--greedy');
    expect(warned.code, warned.err).toBe(0);
    expect(warned.err).toContain(`warning: ${expected} (--strict makes this an error)`);
    stderr = [];
    const strict = await gen('--model', lab.init, '--prompt', prompt, '--greedy', '--strict');
    expect(strict.code).toBe(1);
    expect(strict.err).toContain(`${expected} (--strict)`);
    stderr = [];
    const clean = await gen('--model', lab.init, '--prompt', 'my landlord', '--greedy', '--strict');
    expect(clean.code, clean.err).toBe(0);
    expect(clean.err).toBe('');
  });

  it('a prompt longer than max_position_embeddings is an error naming --prompt and the model', async () => {
    const r = await gen('--model', short, '--prompt', 'my landlord '.repeat(15), '--greedy');
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      `--prompt 1 (30 tokens) needs 30 positions, beyond max_position_embeddings 24 of the model ${short} (config.json)`,
    );
  });

  it('prompt + --max-new-tokens beyond the positions: a warning naming --max-new-tokens (an error with --strict)', async () => {
    const args = [
      '--model',
      short,
      '--prompt',
      'my landlord '.repeat(10),
      '--greedy',
      '--max-new-tokens',
      '8',
    ];
    const warned = await run(['generate', ...args]);
    expect(warned.code, warned.err).toBe(0);
    expect(warned.err).toContain(
      `warning: --prompt 1 (20 tokens) with --max-new-tokens 8 needs 28 positions, beyond max_position_embeddings 24 of the model ${short}`,
    );
    stderr = [];
    const strict = await run(['generate', ...args, '--strict']);
    expect(strict.code).toBe(1);
    expect(strict.err).toMatch(/with --max-new-tokens 8 needs 28 positions.*\(--strict\)/);
  });

  it('a token id beyond the embedding names the model, its vocab_size and the tokenizer', async () => {
    const r = await gen('--model', lab.init, '--prompt-ids', '3,5000', '--greedy');
    expect(r.code).toBe(1);
    const vocab = JSON.parse(readFileSync(join(lab.init, 'config.json'), 'utf8')).vocab_size;
    expect(r.err).toContain(
      `--prompt-ids 1: token id 5000 is beyond the vocabulary: the model ${lab.init} embeds ${vocab} ids ` +
        `(vocab_size in ${join(lab.init, 'config.json')}); its tokenizer ${join(lab.init, 'tokenizer.json')} has`,
    );
    expect(r.err).not.toContain('index out of range in self');
  });

  it('a config.json that is not JSON is named', async () => {
    const bad = join(root, 'bad-config');
    cpSync(lab.init, bad, { recursive: true });
    writeFileSync(join(bad, 'config.json'), '{"vocab_size": 3,');
    const r = await gen('--model', bad, '--prompt', 'my landlord', '--greedy');
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${join(bad, 'config.json')} is not valid JSON`);
  });
});

describe('training: lengths beyond the model, the metrics log and the config history', () => {
  it('sft: maxTotalTokens beyond max_position_embeddings names the key and the model', async () => {
    const cfg = lab.config('sft-short.yaml', lab.sft(join(root, 'sft-short'), { model: short }));
    const r = await run(['sft', '--config', cfg]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      `maxTotalTokens 80 needs 80 positions, beyond max_position_embeddings 24 of the model ${short} (config.json)`,
    );
    expect(r.out).not.toContain('sft step');
  });

  it('rl: maxPromptTokens + maxNewTokens beyond max_position_embeddings names both keys and the model', async () => {
    const cfg = lab.config(
      'rl-short.yaml',
      lab.rl(join(root, 'rl-short'), { model: short, reference: short }),
    );
    const r = await run(['rl', '--config', cfg]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      `maxPromptTokens 48 + maxNewTokens 8 needs 56 positions, beyond max_position_embeddings 24 of the model ${short}`,
    );
  });

  const out = join(root, 'sft-log');
  const cfg = () => lab.config('sft-log.yaml', lab.sft(out, { steps: 4, checkpointEvery: 2 }));
  const history = () =>
    (
      JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).configHistory as {
        step: number;
        changed?: string[];
        config: { steps: number };
      }[]
    ).map((e) => [e.step, e.config.steps, e.changed ?? null]);

  it('run.json keeps the history of the configs the weights were trained with', async () => {
    expect((await run(['sft', '--config', cfg()])).code).toBe(0);
    expect(history()).toEqual([[0, 4, null]]);
    expect((await run(['sft', '--config', cfg(), '--set', 'steps=6'])).code).toBe(0);
    expect(history()).toEqual([
      [0, 4, null],
      [4, 6, ['steps']],
    ]);
    const info = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(info.config.steps).toBe(6);
  });

  it('a deleted metrics.jsonl on resume: the missing steps are reported', async () => {
    rmSync(join(out, 'metrics.jsonl'));
    const r = await run(['sft', '--config', cfg(), '--set', 'steps=8']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain(`warning: ${join(out, 'metrics.jsonl')} lacks steps 1–6 of the 6 completed`);
  });

  it('a truncated metrics.jsonl on resume: the missing steps are reported', async () => {
    const path = join(out, 'metrics.jsonl');
    const lines = readFileSync(path, 'utf8').split('\n');
    // Steps 7 and 8 were logged by the previous run; keep step 7's line only.
    expect(lines.filter(Boolean).map((l) => JSON.parse(l).step)).toEqual([7, 8]);
    writeFileSync(path, `${lines[0]}\n`);
    const r = await run(['sft', '--config', cfg(), '--set', 'steps=10']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain(`lacks steps 1–6, 8 of the 8 completed`);
  });

  it('a run.json that is not JSON is named, with the way out', async () => {
    writeFileSync(join(out, 'run.json'), '{"name": ');
    const r = await run(['sft', '--config', cfg()]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${join(out, 'run.json')} is not valid JSON (`);
    expect(r.err).toContain('or pass --fresh to start the run over');
  });
});

describe('--set flags and the dashboard name what they are about', () => {
  const base = () => lab.config('set.yaml', lab.sft(join(root, 'set-out')));

  it('an unknown key set by --set names the flag, not the file', async () => {
    const file = base();
    const r = await run(['sft', '--config', file, '--set', 'nonexistent.key=3']);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`invalid --set nonexistent.key=3 (overriding config ${file}):`);
    expect(r.err).toMatch(/"nonexistent" \(from --set nonexistent\.key=3\)/);
  });

  it('a value of the wrong type set by --set names the flag', async () => {
    const r = await run(['sft', '--config', base(), '--set', 'optim.lr=fast']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/optim\.lr: .*\(from --set optim\.lr=fast\)/);
  });

  it('a --set value that is not valid YAML names the flag', async () => {
    const r = await run(['sft', '--config', base(), '--set', 'optim={lr: 1']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('--set optim={lr: 1: the value is not valid YAML');
  });

  it('a problem in the file itself still names the file', async () => {
    const file = lab.config('set-bad.yaml', { ...lab.sft(join(root, 'set-bad')), steps: 0 });
    const r = await run(['sft', '--config', file, '--set', 'batchSize=2']);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`invalid config ${file}:`);
    expect(r.err).not.toContain('(from --set');
  });

  it('a dashboard on a missing folder fails naming it', async () => {
    const missing = join(root, 'no-such-runs');
    const r = await run(['dashboard', missing]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`dashboard: the run folder ${missing} does not exist`);
  });
});
