/**
 * Config validation through the CLI: `main([...])` returns non-zero and prints one message naming
 * the file and the offending key path, before any model or data is touched (the paths in these
 * configs do not exist, so getting past validation would fail differently).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';

const dir = mkdtempSync(join(tmpdir(), 'cli-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let stderr: string[] = [];
beforeEach(() => {
  stderr = [];
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void stderr.push(a.join(' ')));
  vi.spyOn(console, 'log').mockImplementation(() => {});
});
afterEach(() => vi.restoreAllMocks());

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const OFFLINE = `model: ${dir}/no-model
out: ${dir}/out
data: { train: ${dir}/no-data.jsonl }
`;
const RL = `model: ${dir}/no-policy
reward: ${dir}/no-rm
out: ${dir}/rl
data: { prompts: ${dir}/no-prompts.jsonl }
`;

async function fails(argv: string[]): Promise<string> {
  const code = await main(argv);
  expect(code).not.toBe(0);
  return stderr.join('\n');
}

describe('training configs are validated before anything is loaded', () => {
  it('a bad value names its nested key path and the file', async () => {
    const f = file('bad-lr.yaml', `${OFFLINE}optim: { lr: -1 }\n`);
    const msg = await fails(['sft', '--config', f]);
    expect(msg).toContain(`invalid config ${f}`);
    expect(msg).toMatch(/optim\.lr: .*>0/);
  });

  it("rl's and bon's old names (policy, a top-level lr, schedule, …) say where they went", async () => {
    const rl = file('old-rl.yaml', `${RL.replace('model:', 'policy:')}lr: 1e-6\nschedule: constant\n`);
    const msg = await fails(['rl', '--config', rl]);
    expect(msg).toContain(`invalid config ${rl}`);
    expect(msg).toContain('"policy" is now "model"');
    expect(msg).toContain('"lr" is now "optim.lr"');
    expect(msg).toContain('"schedule" is now "optim.schedule"');
    const bon = file('old-bon.yaml', RL.replace('model:', 'policy:'));
    expect(await fails(['bon', '--config', bon])).toContain('"policy" is now "model"');
    // The new names validate (and then fail on the missing files, past validation).
    const ok = file(
      'new-rl.yaml',
      `${RL}optim: { lr: 1e-6, schedule: constant }\nregularizer: { entropy: {} }\n`,
    );
    stderr = [];
    expect(await fails(['rl', '--config', ok])).not.toContain('invalid config');
  });

  it('an unknown key is an error naming the key, not a silent default', async () => {
    const f = file('typo.yaml', `${OFFLINE}stpes: 10\n`);
    expect(await fails(['rm', '--config', f])).toContain('"stpes"');
  });

  it('a typo in a nested section names the section', async () => {
    const f = file('nested.yaml', `${OFFLINE}optim: { learningRate: 1e-6 }\n`);
    const msg = await fails(['po', '--config', f]);
    expect(msg).toMatch(/optim: .*"learningRate"/);
  });

  it('a missing required key is named', async () => {
    const f = file('no-out.yaml', `model: ${dir}/m\ndata: { train: x.jsonl }\n`);
    expect(await fails(['sft', '--config', f])).toMatch(/\bout: /);
  });

  it('maxPromptTokens ≥ maxTotalTokens is a config error at maxPromptTokens', async () => {
    const f = file('budget.yaml', `${OFFLINE}maxPromptTokens: 600\nmaxTotalTokens: 562\n`);
    expect(await fails(['sft', '--config', f])).toMatch(
      /maxPromptTokens: must be smaller than maxTotalTokens/,
    );
  });

  it('--set overrides are validated too and named by their key', async () => {
    const f = file('ok.yaml', OFFLINE);
    expect(await fails(['sft', '--config', f, '--set', 'batchSize=0'])).toMatch(/batchSize: /);
    expect(await fails(['sft', '--config', f, '--set', 'no-equals-sign'])).toContain(
      '--set expects key=value',
    );
  });

  it('--loss is checked against the preference losses (by the flag, listing them)', async () => {
    const f = file('po.yaml', OFFLINE);
    let written = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written += String(chunk);
      return true;
    });
    await fails(['po', '--config', f, '--loss', 'simpoo']);
    expect(written).toMatch(/--loss <name>' argument 'simpoo' is invalid.*dpo, cdpo/);
  });

  it('rl: a KL penalty without a reference names `reference`', async () => {
    const f = file('rl-kl.yaml', `${RL}regularizer: { kl: {} }\n`);
    expect(await fails(['rl', '--config', f])).toMatch(/reference: required when regularizer\.kl is set/);
  });

  it('rl: errors inside the online trainer schema name their path', async () => {
    const f = file('rl-bad.yaml', `${RL}regularizer: { entropy: { coef: 0 } }\nppo: { clip: -1 }\n`);
    const msg = await fails(['rl', '--config', f]);
    expect(msg).toMatch(/regularizer\.entropy\.coef: /);
    expect(msg).toMatch(/ppo\.clip: /);
  });

  it('rl: an unknown eval judge names eval.judge', async () => {
    const f = file(
      'rl-judge.yaml',
      `${RL}regularizer: { entropy: {} }\neval: { prompts: x.jsonl, judge: gpt }\n`,
    );
    expect(await fails(['rl', '--config', f])).toMatch(/eval\.judge: /);
  });

  it('an unreadable or non-mapping file is reported as such', async () => {
    expect(await fails(['sft', '--config', join(dir, 'missing.yaml')])).toContain('cannot read config');
    const f = file('list.yaml', '- 1\n- 2\n');
    expect(await fails(['sft', '--config', f])).toContain('must be a mapping');
  });
});

describe('sweep files are validated, and so is every run they would start', () => {
  const base = () => file('rl-base.yaml', `${RL}regularizer: { entropy: {} }\n`);

  it('an axis that does not belong to the sweep kind is named', async () => {
    base();
    const f = file('sw1.yaml', 'name: s\nkind: rl\nbase: rl-base.yaml\ngrid: { loss: [dpo] }\n');
    expect(await fails(['sweep', '--config', f])).toMatch(/grid\.loss: not an axis of a rl sweep/);
  });

  it('a coefficient map keyed by an unknown regularizer is named', async () => {
    base();
    const f = file(
      'sw2.yaml',
      'name: s\nkind: rl\nbase: rl-base.yaml\ngrid: { coef: { entropyy: [0.1] } }\n',
    );
    expect(await fails(['sweep', '--config', f])).toMatch(/grid\.coef\.entropyy: /);
  });

  it('a run of the grid with an invalid config fails the whole sweep up front, naming the key', async () => {
    base();
    // kl runs need a reference the base does not have.
    const f = file(
      'sw3.yaml',
      'name: s\nkind: rl\nbase: rl-base.yaml\ngrid: { regularizer: [entropy, kl] }\n',
    );
    expect(await fails(['sweep', '--config', f])).toMatch(/reference: required when regularizer\.kl is set/);
  });

  it('a bad base config is named by its own path', async () => {
    const f = file('sw4.yaml', 'name: s\nkind: po\nbase: po-base.yaml\n');
    file('po-base.yaml', `${OFFLINE}beta: -2\n`);
    const msg = await fails(['sweep', '--config', f]);
    expect(msg).toContain(join(dir, 'po-base.yaml'));
    expect(msg).toMatch(/beta: /);
  });

  it('the sweep name must be usable as a folder name', async () => {
    base();
    const f = file('sw5.yaml', 'name: a/b\nkind: rl\nbase: rl-base.yaml\n');
    expect(await fails(['sweep', '--config', f])).toMatch(/name: letters, digits/);
  });
});
