/**
 * The training commands end to end through `main([...])` on a tiny model (init-model on the lab
 * tokenizer) and lab data, a few steps each: sft from a YAML config (resume, already-finished,
 * --fresh, bad rows), rm from the SFT snapshot, po with a reference-based and a reference-free
 * loss, rl with an entropy bonus and the lab judge, PPO with a KL penalty, a sweep (then rerun:
 * everything skipped), and the lab presets with their paths overridden.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { main } from '../../src/cli/main.ts';
import { runSft } from '../../src/experiments/train.ts';
import {
  buildPreferenceDataset,
  generateLabDataset,
  LAB_FILES,
  writeLabTokenizerFiles,
  writePreferenceFile,
  writeSftFiles,
} from '../../src/lab/task/index.ts';
import { loadRewardModel } from '../../src/models/index.ts';

const root = mkdtempSync(join(tmpdir(), 'cli-train-'));
const data = join(root, 'data');
const init = join(root, 'init');
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
  await writeLabTokenizerFiles(data);
  await writeSftFiles(data, generateLabDataset({ seed: 1, nTrain: 48, nEval: 8 }));
  await writePreferenceFile(data, 'train', buildPreferenceDataset({ seed: 1, nPairs: 24 }));
  await writePreferenceFile(data, 'eval', buildPreferenceDataset({ seed: 1, nPairs: 8, split: 'eval' }));
  vi.spyOn(console, 'log').mockImplementation(() => {});
  expect(
    await main(['init-model', '--config', 'pythia-tiny', '--out', init, '--tokenizer', data, '--seed', '1']),
  ).toBe(0);
  vi.restoreAllMocks();
});

const file = (name: string, text: string) => {
  const p = join(root, name);
  writeFileSync(p, text);
  return p;
};
const metrics = (dir: string) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, number>);
const runJson = (dir: string) =>
  JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as {
    status: string;
    kind: string;
    name: string;
    labels: Record<string, unknown>;
  };
async function ok(argv: string[]): Promise<string> {
  const code = await main(argv);
  expect(code, stderr.join('\n')).toBe(0);
  return stdout.join('\n');
}

const sftDir = join(root, 'sft');
const SFT = `model: ${init}
out: ${sftDir}
data:
  train: ${join(data, LAB_FILES.sftTrain)}
  eval: ${join(data, LAB_FILES.sftEval)}
maxPromptTokens: 48
maxTotalTokens: 80
steps: 3
batchSize: 4
optim: { lr: 3.0e-3, schedule: constant }
evalEvery: 2
checkpointEvery: 1
`;
const LIMITS = 'maxPromptTokens: 48\nmaxTotalTokens: 80\nbatchSize: 4\n';
const PREFS = `data: { train: ${join(data, LAB_FILES.preferenceTrain)}, eval: ${join(data, LAB_FILES.preferenceEval)} }\n`;

describe('the library entry and the CLI', () => {
  it("runSft on the YAML file's keys as an object trains the run `maxent-rlhf sft --config` trains", async () => {
    const viaCli = join(root, 'sft-cli');
    const viaApi = join(root, 'sft-api');
    await ok(['sft', '--config', file('sft-cli.yaml', SFT.replace(`out: ${sftDir}`, `out: ${viaCli}`))]);
    const config = parseYaml(SFT) as Record<string, unknown>;
    const lines: string[] = [];
    await runSft({ ...config, out: viaApi } as Parameters<typeof runSft>[0], {
      io: { print: (l) => lines.push(l), log: () => {} },
    });
    expect(readFileSync(join(viaApi, 'metrics.jsonl'), 'utf8')).toBe(
      readFileSync(join(viaCli, 'metrics.jsonl'), 'utf8'),
    );
    expect(lines.at(-1)).toBe(`run folder: ${viaApi}`);
    // A bad key names the key path and "object", before anything is loaded.
    await expect(runSft({ ...config, out: viaApi, optim: { lr: -1 } } as never)).rejects.toThrow(
      /invalid config object:\n {2}optim\.lr: /,
    );
  });
});

describe('sft from a YAML config', () => {
  it('trains, prints a line per step and the run folder, and writes a done run folder with a model', async () => {
    const out = await ok(['sft', '--config', file('sft.yaml', SFT)]);
    expect(out).toContain('sft: 48 training / 8 held-out examples, 3 steps');
    for (const s of [1, 2, 3])
      expect(out).toMatch(new RegExp(`sft step ${s}/3  loss \\d+\\.\\d+ .*lr 0\\.0030`));
    expect(out).toMatch(/sft step 2\/3 .*eval\/loss \d/);
    expect(stdout.at(-1)).toBe(`run folder: ${sftDir}`);
    expect(runJson(sftDir)).toMatchObject({ status: 'done', kind: 'sft' });
    const m = metrics(sftDir);
    expect(m.map((l) => l.step)).toEqual([1, 2, 3]);
    expect(m.every((l) => Number.isFinite(l.loss))).toBe(true);
    expect(existsSync(join(sftDir, 'model', 'config.json'))).toBe(true);
  });

  it('a finished run with the same config is not trained again', async () => {
    const out = await ok(['sft', '--config', join(root, 'sft.yaml')]);
    expect(out).toContain('already finished with this config');
    expect(out).not.toContain('sft step');
    expect(metrics(sftDir)).toHaveLength(3);
  });

  it('more steps resume from the newest checkpoint, without repeating steps', async () => {
    const out = await ok(['sft', '--config', join(root, 'sft.yaml'), '--set', 'steps=5']);
    expect(out).not.toContain('sft step 3/5');
    expect(out).toContain('sft step 4/5');
    expect(stderr.join('\n')).toMatch(/different config \(steps\)/);
    expect(stderr.join('\n')).toMatch(/resumed .* \(step 3\)/);
    expect(metrics(sftDir).map((l) => l.step)).toEqual([1, 2, 3, 4, 5]);
  });

  it('--fresh deletes checkpoints and metrics and starts over', async () => {
    const out = await ok(['sft', '--config', join(root, 'sft.yaml'), '--fresh', '--set', 'steps=2']);
    expect(stderr.join('\n')).toMatch(/--fresh: removed checkpoints, model, metrics.jsonl, run.json/);
    expect(out).toContain('sft step 1/2');
    expect(metrics(sftDir).map((l) => l.step)).toEqual([1, 2]);
    expect(runJson(sftDir).status).toBe('done');
  });

  it('over-long rows (counted with the model tokenizer) fail by default and are skipped on request', async () => {
    const rows = readFileSync(join(data, LAB_FILES.sftTrain), 'utf8');
    const long = JSON.stringify({ query: 'my landlord '.repeat(30), reference_response: ' my landlord' });
    const train = file('long.jsonl', `${rows}${long}\n`);
    const cfg = file(
      'sft-long.yaml',
      SFT.replace(join(data, LAB_FILES.sftTrain), train).replace(sftDir, join(root, 'sft-long')),
    );
    expect(await main(['sft', '--config', cfg, '--set', 'steps=1'])).toBe(1);
    expect(stderr.join('\n')).toMatch(/row 49.*over the maxPromptTokens limit of 48/);
    stderr = [];
    await ok(['sft', '--config', cfg, '--set', 'steps=1', '--set', 'data.onBadRow=skip']);
    expect(stderr.join('\n')).toMatch(/1 .*over-long/);
    expect(stdout.join('\n')).toContain('sft: 48 training');
  });

  it('without data.eval, evalFraction of the training rows is held out', async () => {
    const cfg = file(
      'sft-split.yaml',
      `model: ${init}\nout: ${join(root, 'sft-split')}\ndata: { train: ${join(data, LAB_FILES.sftTrain)}, evalFraction: 0.25 }\n${LIMITS}steps: 1\n`,
    );
    expect(await ok(['sft', '--config', cfg])).toContain('sft: 36 training / 12 held-out examples');
  });
});

describe('rm, po and rl from the SFT snapshot', () => {
  const rmDir = join(root, 'rm');

  it('rm starts from the SFT snapshot with a fresh score head and saves a reward model', async () => {
    const cfg = file('rm.yaml', `model: ${sftDir}/model\nout: ${rmDir}\n${PREFS}${LIMITS}steps: 2\n`);
    const out = await ok(['rm', '--config', cfg]);
    expect(out).toMatch(/rm step 2\/2 {2}loss \d.*accuracy .*eval\/accuracy/);
    expect(runJson(rmDir)).toMatchObject({ status: 'done', kind: 'rm' });
    // Loads as a reward model without initialising a head: the score head was trained and saved.
    const rm = await loadRewardModel(join(rmDir, 'model'));
    rm.dispose();
  });

  it('po: dpo loads the reference (cached log-probs); simpo via --loss never does', async () => {
    const dpo = join(root, 'dpo');
    const cfg = file(
      'po.yaml',
      `model: ${sftDir}/model\nout: ${dpo}\n${PREFS}${LIMITS}steps: 2\nloss: dpo\nbeta: 0.1\n`,
    );
    const out = await ok(['po', '--config', cfg]);
    expect(out).toContain(`reference ${sftDir}/model`);
    expect(out).toMatch(/po step 2\/2 .*rewards\/accuracies/);
    expect(existsSync(join(dpo, 'cache'))).toBe(true);
    expect(metrics(dpo)[0]).toHaveProperty('ref/logratio');

    const simpo = join(root, 'simpo');
    stdout = [];
    const out2 = await ok([
      'po',
      '--config',
      cfg,
      '--loss',
      'simpo',
      '--set',
      `out=${simpo}`,
      '--set',
      'beta=2',
    ]);
    expect(out2).toContain('reference-free: no reference model is loaded');
    expect(existsSync(join(simpo, 'cache'))).toBe(false);
    expect(metrics(simpo)[0]).not.toHaveProperty('ref/logratio');
    expect(runJson(simpo).labels).toMatchObject({ algorithm: 'simpo', coef: 2 });
  });

  /** An rl config file: the shared tiny settings, with `extra` keys replacing theirs. */
  const rlConfig = (name: string, extra: Record<string, unknown>) =>
    file(
      name,
      stringify({
        model: `${sftDir}/model`,
        reward: `${rmDir}/model`,
        data: { prompts: join(data, LAB_FILES.sftTrain) },
        maxPromptTokens: 48,
        steps: 2,
        promptsPerStep: 2,
        maxNewTokens: 6,
        evalEvery: 1,
        checkpointEvery: 1,
        ...extra,
      }),
    );

  it('rl: Maximum-Entropy with a measurement-only reference and the lab judge', async () => {
    const dir = join(root, 'rl-maxent');
    const cfg = rlConfig('rl.yaml', {
      out: dir,
      reference: `${sftDir}/model`,
      modelLabel: 'lab-test',
      regularizer: { entropy: { coef: 0.1 } },
      eval: { prompts: join(data, LAB_FILES.sftEval), count: 4, judge: 'lab' },
    });
    const out = await ok(['rl', '--config', cfg]);
    expect(out).toContain('the reference only measures objective/kl');
    expect(out).toMatch(/rl step 2\/2 {2}objective\/scores -?\d.*objective\/kl .*eval\/win_rate \d.*lr /);
    const info = runJson(dir);
    expect(info).toMatchObject({ status: 'done', kind: 'rl', name: 'rl-maxent' });
    expect(info.labels).toMatchObject({ regularizer: 'entropy', coef: 0.1, model: 'lab-test' });
    const last = metrics(dir).at(-1)!;
    for (const k of [
      'objective/kl',
      'objective/entropy_bonus',
      'eval/win_rate',
      'eval/gold_score',
      'eval/proxy_reward',
    ])
      expect(last, k).toHaveProperty(k);
    expect(existsSync(join(dir, 'model', 'config.json'))).toBe(true);
  });

  it('rl: win rate from an OpenAI-compatible HTTP judge (a fake on 127.0.0.1)', async () => {
    const asked: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const prompt = (JSON.parse(body) as { messages: { content: string }[] }).messages[0]!.content;
        asked.push(prompt);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ choices: [{ message: { content: 'Comparison: fine.\nPreferred: A' } }] }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const dir = join(root, 'rl-http');
      const port = (server.address() as AddressInfo).port;
      const cfg = rlConfig('rl-http.yaml', {
        out: dir,
        regularizer: { entropy: { coef: 0.1 } },
        eval: {
          prompts: join(data, LAB_FILES.sftEval),
          count: 4,
          judge: 'http',
          judgeHttp: { baseUrl: `http://127.0.0.1:${port}/v1`, model: 'fake' },
        },
      });
      await ok(['rl', '--config', cfg]);
      const evals = metrics(dir).filter((l) => 'eval/win_rate' in l);
      // The fake always answers "A", so each win rate is the fraction of prompts where the seeded
      // order put the policy first: the same at every evaluation, whatever the policy wrote.
      expect(evals.length).toBeGreaterThanOrEqual(2);
      for (const l of evals) expect(l['eval/win_rate']).toBeGreaterThanOrEqual(0);
      expect(evals.every((l) => l['eval/win_rate'] === evals[0]!['eval/win_rate'])).toBe(true);
      expect(asked.length).toBe(4 * evals.length);
      expect(asked[0]).toContain('Summary A:');
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('rl: PPO with a KL penalty (value head on the policy trunk), no evaluation', async () => {
    const dir = join(root, 'rl-ppo');
    const cfg = rlConfig('rl-ppo.yaml', {
      out: dir,
      reference: `${sftDir}/model`,
      algorithm: 'ppo',
      ppo: { epochs: 2, minibatchSize: 2 },
      steps: 1,
      regularizer: { kl: { coef: 0.05 } },
    });
    const out = await ok(['rl', '--config', cfg]);
    expect(out).toMatch(/rl \(ppo, regularizer kl\)/);
    expect(metrics(dir)[0]).toHaveProperty('loss/value_avg');
    expect(metrics(dir)[0]).not.toHaveProperty('eval/proxy_reward');
  });

  it('rl: a reward model with another tokenizer is refused', async () => {
    const other = join(root, 'other-init');
    expect(await main(['init-model', '--config', 'pythia-tiny', '--out', other])).toBe(0);
    // A policy on the default byte-level tokenizer against the reward model on the lab's.
    const cfg = rlConfig('rl-tok.yaml', {
      out: join(root, 'rl-tok'),
      model: other,
      regularizer: {},
    });
    expect(await main(['rl', '--config', cfg])).toBe(1);
    expect(stderr.join('\n')).toMatch(/tokenizer of .*rm\/model differs from the policy's \(.*other-init\)/);
  });

  it('sweep: one run folder per grid point, a final table; a rerun skips finished runs', async () => {
    rlConfig('sweep-base.yaml', { out: 'unused', reference: `${sftDir}/model`, steps: 1, evalEvery: 0 });
    const sw = file(
      'sweep.yaml',
      `name: grid\nkind: rl\nbase: sweep-base.yaml\nout: ${join(root, 'sweeps')}\ngrid:\n  regularizer: [kl, entropy]\n  coef: { entropy: [0.1] }\n  lr: [1.0e-4]\n`,
    );
    const out = await ok(['sweep', '--config', sw]);
    expect(out).toContain('2 runs under');
    expect(out).toContain('[1/2] kl-lr1e-4: starting');
    expect(out).toContain('[2/2] maxent-a0.1-lr1e-4: starting');
    expect(out).toMatch(/\nrun +status +step +scores/);
    expect(out).toMatch(/\nmaxent-a0\.1-lr1e-4 +done +1 +-?\d/);
    const dir = join(root, 'sweeps', 'grid', 'maxent-a0.1-lr1e-4');
    expect(runJson(dir)).toMatchObject({ status: 'done', name: 'maxent-a0.1-lr1e-4' });
    expect(runJson(dir).labels).toMatchObject({ regularizer: 'entropy', coef: 0.1, lr: 1e-4 });

    stdout = [];
    const again = await ok(['sweep', '--config', sw]);
    expect(again).toContain('2 already done');
    expect(again).toContain('[1/2] kl-lr1e-4: done, skipped');
    expect(again).not.toContain('rl step');
    expect(metrics(dir)).toHaveLength(1);
  });

  it('the lab presets run on lab data once their input paths point at it', async () => {
    const sft = await ok([
      'sft',
      '--config',
      'configs/lab/sft.yaml',
      ...[
        '--set',
        `model=${init}`,
        '--set',
        `out=${join(root, 'lab-sft')}`,
        '--set',
        'steps=1',
        '--set',
        'batchSize=4',
      ],
      ...[
        '--set',
        `data.train=${join(data, LAB_FILES.sftTrain)}`,
        '--set',
        `data.eval=${join(data, LAB_FILES.sftEval)}`,
      ],
    ]);
    expect(sft).toContain('sft step 1/1');
    stdout = [];
    const rl = await ok([
      'rl',
      '--config',
      'configs/lab/rl-maxent.yaml',
      ...[
        '--set',
        `model=${sftDir}/model`,
        '--set',
        `reference=${sftDir}/model`,
        '--set',
        `reward=${rmDir}/model`,
      ],
      ...[
        '--set',
        `data.prompts=${join(data, LAB_FILES.sftTrain)}`,
        '--set',
        `eval.prompts=${join(data, LAB_FILES.sftEval)}`,
      ],
      ...[
        '--set',
        'eval.count=2',
        '--set',
        'steps=1',
        '--set',
        'promptsPerStep=2',
        '--set',
        `out=${join(root, 'lab-rl')}`,
      ],
    ]);
    expect(rl).toMatch(/rl step 1\/1 .*eval\/win_rate/);
  });
});
