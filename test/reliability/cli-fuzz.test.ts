/**
 * The probe of issue 25 as a test. In process: every numeric key of every training command's config
 * (sft, rm, po, rl) and of bon, set through `--set` to 0, negative, huge, fractional, NaN, ±Inf and
 * non-numbers, is either refused with an error whose first line names the flag, or accepted and then
 * passes the memory plan's check or is refused by it naming a key — never a crash. In child
 * processes, a representative subset (the sizes and paths the probe broke: huge batches and sample
 * counts, an input model's folder or its parent as `out`, /proc, a file, a FIFO, prototype keys, CLI
 * flags) must end without a signal, within a time and memory bound, with a one-line error naming the
 * key or path; and every input (data, models) stays byte-identical.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/load.ts';
import { loadBestOfNConfig } from '../../src/experiments/best-of-n.ts';
import { loadTrainConfig } from '../../src/experiments/train.ts';
import { LAB_FILES } from '../../src/lab/task/index.ts';
import { loadConfig } from '../../src/models/index.ts';
import { acquireRunLock } from '../../src/runs/run-lock.ts';
import { requireMemoryFits } from '../../src/trainers/memory-budget.ts';
import { memoryPlan, offlinePlanSettings } from '../../src/trainers/memory-plan.ts';
import { REPO } from './fixtures/child.ts';
import { type LabSetup, labSetup } from './fixtures/cli-lab.ts';

const root = mkdtempSync(join(tmpdir(), 'reliability-fuzz-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let lab: LabSetup;
let inputsBefore: Record<string, string>;
const configs: Record<string, string> = {};
const KINDS = ['sft', 'rm', 'po', 'rl'] as const;

/** sha256 of every file under the inputs (data, the initial model, the reward model's run). */
function inputs(): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out[p] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  for (const d of ['data', 'init', 'rm']) walk(join(root, d));
  return out;
}

beforeAll(async () => {
  lab = await labSetup(root);
  const pairs = join(lab.data, LAB_FILES.preferenceTrain);
  const offline = (kind: string) => ({
    model: lab.init,
    out: join(root, `out-${kind}`),
    data: { train: pairs },
    maxPromptTokens: 48,
    maxTotalTokens: 80,
    steps: 2,
    batchSize: 4,
    evalEvery: 0,
  });
  configs.sft = lab.config('sft.yaml', lab.sft(join(root, 'out-sft'), { steps: 2 }));
  configs.rm = lab.config('rm.yaml', offline('rm'));
  configs.po = lab.config('po.yaml', { ...offline('po'), loss: 'dpo' });
  configs.rl = lab.config('rl.yaml', lab.rl(join(root, 'out-rl'), { steps: 2 }));
  configs.bon = lab.config('bon.yaml', {
    model: lab.init,
    reward: lab.reward,
    out: join(root, 'out-bon'),
    data: { prompts: join(lab.data, LAB_FILES.sftEval), limit: 4 },
    maxPromptTokens: 48,
    n: [1, 2],
    calibrationSamples: 2,
    batchSize: 2,
    maxNewTokens: 8,
  });
  inputsBefore = inputs();
});

/** Dotted paths of the numeric leaves of a validated config (arrays of numbers included). */
function numericKeys(value: unknown, prefix = ''): string[] {
  if (typeof value === 'number') return [prefix];
  if (Array.isArray(value)) return value.every((v) => typeof v === 'number') && value.length ? [prefix] : [];
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) => numericKeys(v, prefix ? `${prefix}.${k}` : k));
}

const VALUES = [
  '0',
  '-1',
  '-1e9',
  '1e9',
  '1e15',
  '1e400',
  '1.5',
  'NaN',
  '.nan',
  '.inf',
  '-.inf',
  'abc',
  '""',
];
/** A fixed budget, so the outcome does not depend on the machine running the test. */
const BUDGET = 8 * 1024 ** 3;

describe('every numeric key of every config, in process', () => {
  it('is refused naming the flag, or accepted and then within the memory plan (or refused by it naming a key)', async () => {
    const outcomes = { refused: 0, crossKey: 0, accepted: 0, refusedByPlan: 0 };
    for (const kind of [...KINDS, 'bon'] as const) {
      const load = (sets: string[]) =>
        kind === 'bon' ? loadBestOfNConfig(configs.bon!, sets) : loadTrainConfig(kind, configs[kind]!, sets);
      const keys = numericKeys(load([]));
      expect(keys.length, kind).toBeGreaterThan(kind === 'bon' ? 5 : 10);
      for (const key of keys) {
        const isList = Array.isArray(key.split('.').reduce<unknown>((v, k) => (v as never)[k], load([])));
        for (const raw of VALUES) {
          const set = `${key}=${isList ? `[${raw}]` : raw}`;
          let config: ReturnType<typeof load>;
          try {
            config = load([set]);
          } catch (e) {
            expect(e, `${kind} --set ${set}`).toBeInstanceOf(ConfigError);
            // The flag is named, or (a rule across keys, e.g. maxPromptTokens < maxTotalTokens) the
            // key with its value.
            const message = (e as Error).message;
            expect(message, `${kind} --set ${set}`).toContain(key.split('.').pop()!);
            if (!message.includes(`--set ${set}`)) outcomes.crossKey++;
            outcomes.refused++;
            continue;
          }
          outcomes.accepted++;
          if (kind === 'bon') continue;
          try {
            await requireMemoryFits(kind, config as never, BUDGET);
          } catch (e) {
            expect(e, `${kind} --set ${set}`).toBeInstanceOf(ConfigError);
            expect((e as Error).message.split('\n').length, `${kind} --set ${set}`).toBe(1);
            outcomes.refusedByPlan++;
          }
        }
      }
    }
    const total = outcomes.refused + outcomes.accepted;
    console.log(
      `[cli-fuzz] in process: ${total} cases, ${outcomes.refused} refused by the schema ` +
        `(${outcomes.crossKey} by a rule across keys, naming the key but not the flag), ` +
        `${outcomes.accepted} accepted (${outcomes.refusedByPlan} of them refused by the memory plan)`,
    );
    expect(total).toBeGreaterThan(1000);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('the memory plan before loading', () => {
  it('a budget between the plans of batch 1 and batch 4096 refuses 4096 naming batchSize, and accepts 1', async () => {
    const at = (batchSize: number) => loadTrainConfig('sft', configs.sft!, [`batchSize=${batchSize}`]);
    const models = { policy: await loadConfig(lab.init) };
    const peak = (batchSize: number) =>
      memoryPlan(offlinePlanSettings('sft', at(batchSize), { reference: false }), models).peak.bytes;
    const budget = (peak(1) + peak(4096)) / 2;
    await expect(requireMemoryFits('sft', at(4096), budget)).rejects.toThrow(
      /^batchSize 4096: the memory plan of this run needs .* more than this machine's/,
    );
    await expect(requireMemoryFits('sft', at(1), budget)).resolves.toBeUndefined();
    // With micro-batches of 1, the same batch fits.
    const micro = loadTrainConfig('sft', configs.sft!, ['batchSize=4096', 'microBatchSize=1']);
    await expect(requireMemoryFits('sft', micro, budget)).resolves.toBeUndefined();
  });

  it('an rl run is planned too: refused under a 1 MB budget naming what to shrink, accepted under 64 GiB', async () => {
    // The rl config names its policy `model`: the plan once looked for `policy`, found no shape and
    // let every rl run through.
    const rl = loadTrainConfig('rl', configs.rl!, []);
    await expect(requireMemoryFits('rl', rl as never, 2 ** 20)).rejects.toThrow(
      /the memory plan of this run needs .* more than this machine's/,
    );
    await expect(requireMemoryFits('rl', rl as never, 64 * 1024 ** 3)).resolves.toBeUndefined();
  });
});

describe('paths as out, for every command, in process', () => {
  it('an input folder (or file) as out is refused naming out and the input; /proc, a file and a FIFO fail at once naming the path', () => {
    const cases = { refused: 0, failedFast: 0, allowed: 0 };
    const data = join(lab.data, LAB_FILES.sftTrain);
    for (const kind of [...KINDS, 'bon'] as const) {
      const load = (sets: string[]) =>
        kind === 'bon' ? loadBestOfNConfig(configs.bon!, sets) : loadTrainConfig(kind, configs[kind]!, sets);
      const inputsOf = Object.entries({ init: lab.init, reward: lab.reward, data }).filter(([, p]) =>
        JSON.stringify(load([])).includes(JSON.stringify(p)),
      );
      expect(inputsOf.length, kind).toBeGreaterThan(0);
      for (const [, input] of inputsOf) {
        expect(() => load([`out=${input}`]), `${kind} out=${input}`).toThrow(`out: ${input} would overwrite`);
        cases.refused++;
      }
      // The parent of an input is a legitimate run folder: nothing of the input is written.
      expect(load([`out=${root}`]).out).toBe(root);
      cases.allowed++;
      for (const [out, named] of [
        ['/proc/self/x', '/proc/self/x'],
        [aFile(), 'is not a folder'],
        [fifo(), 'is not a folder'],
      ] as const) {
        const config = load([`out=${out}`]);
        expect(() => acquireRunLock(config.out), `${kind} out=${out}`).toThrow(named);
        cases.failedFast++;
      }
    }
    console.log(
      `[cli-fuzz] paths: ${cases.refused} inputs as out refused, ${cases.failedFast} unusable outs failed at once, ${cases.allowed} parents allowed`,
    );
  });
});

interface Probe {
  label: string;
  args: () => string[];
  /** What the error's one line must name. */
  names: () => string;
}

const aFile = () => {
  const path = join(root, 'a-file');
  writeFileSync(path, 'not a run folder');
  return path;
};

const fifo = () => {
  const path = join(root, 'a-fifo');
  try {
    execFileSync('mkfifo', [path]);
  } catch {}
  return path;
};

const PROBES: Probe[] = [
  {
    label: 'sft batchSize=1e9',
    args: () => ['sft', '--config', configs.sft!, '--set', 'batchSize=1000000000'],
    names: () => 'batchSize',
  },

  {
    label: 'rl promptsPerStep=1e9',
    args: () => ['rl', '--config', configs.rl!, '--set', 'promptsPerStep=1000000000'],
    names: () => 'promptsPerStep',
  },
  {
    label: 'rl rloo.k=1e8',
    args: () => ['rl', '--config', configs.rl!, '--set', 'rloo.k=100000000'],
    names: () => 'rloo.k',
  },
  {
    label: 'bon n=[1e9]',
    args: () => ['bon', '--config', configs.bon!, '--set', 'n=[1000000000]'],
    names: () => 'n',
  },
  {
    label: 'sft __proto__.polluted=1',
    args: () => ['sft', '--config', configs.sft!, '--set', '__proto__.polluted=1'],
    names: () => '__proto__',
  },
  {
    label: 'sft out=/proc/self/x',
    args: () => ['sft', '--config', configs.sft!, '--set', 'out=/proc/self/x'],
    names: () => '/proc/self/x',
  },
  {
    label: 'sft out=its input model folder',
    args: () => ['sft', '--config', configs.sft!, '--set', `out=${lab.init}`, '--fresh'],
    names: () => `out: ${lab.init}`,
  },

  {
    label: 'sft out=a file',
    args: () => ['sft', '--config', configs.sft!, '--set', `out=${aFile()}`],
    names: () => 'is not a folder',
  },
  {
    label: 'sft out=a FIFO',
    args: () => ['sft', '--config', configs.sft!, '--set', `out=${fifo()}`],
    names: () => 'is not a folder',
  },
  {
    label: 'theory --instances 1e9',
    args: () => ['theory', '--instances', '1000000000'],
    names: () => '--instances',
  },

  {
    label: 'generate --max-new-tokens 1e9',
    args: () => ['generate', '--model', lab.init, '--prompt', 'hi', '--max-new-tokens', '1000000000'],
    names: () => '--max-new-tokens',
  },
];

/** Runs the CLI; returns how it ended and its peak resident memory (VmHWM), polled. */
function probe(
  args: string[],
): Promise<{ code: number | null; signal: string | null; stderr: string; peakKiB: number; ms: number }> {
  const started = Date.now();
  return new Promise((done) => {
    const child = spawn(process.execPath, ['bin/maxent-rlhf.mjs', ...args], {
      cwd: REPO,
      env: { ...process.env, OMP_NUM_THREADS: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let peakKiB = 0;
    child.stderr!.on('data', (d) => {
      stderr += d;
    });
    const poll = setInterval(() => {
      try {
        const m = readFileSync(`/proc/${child.pid}/status`, 'utf8').match(/VmHWM:\s+(\d+)/);
        if (m) peakKiB = Math.max(peakKiB, Number(m[1]));
      } catch {}
    }, 50);
    const limit = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code, signal) => {
      clearInterval(poll);
      clearTimeout(limit);
      done({ code, signal, stderr, peakKiB, ms: Date.now() - started });
    });
  });
}

describe('a representative subset, as child processes', () => {
  it('every probe ends by itself without a signal, under 1.5 GiB, with one line naming the key or path', {
    timeout: 300_000,
  }, async () => {
    const results: string[] = [];
    for (let i = 0; i < PROBES.length; i += 2) {
      const batch = PROBES.slice(i, i + 2);
      const ran = await Promise.all(batch.map((p) => probe(p.args())));
      batch.forEach((p, j) => {
        const r = ran[j]!;
        const lines = r.stderr.trim().split('\n');
        results.push(
          `${p.label}: exit ${r.code ?? r.signal}, ${(r.peakKiB / 1024).toFixed(0)} MiB, ${r.ms} ms`,
        );
        expect(r.signal, `${p.label}: ${r.stderr}`).toBeNull();
        expect(r.code, `${p.label}: ${r.stderr}`).toBe(1);
        expect(r.peakKiB, p.label).toBeLessThan(1.5 * 1024 * 1024);
        expect(r.stderr, p.label).not.toMatch(/\n\s+at /); // no stack trace
        expect(
          lines.find((l) => l.startsWith('maxent-rlhf:') || l.startsWith('error:')),
          p.label,
        ).toContain(p.names());
      });
    }
    console.log(`[cli-fuzz] child processes: ${PROBES.length} probes\n  ${results.join('\n  ')}`);
    expect(inputs()).toEqual(inputsBefore);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
