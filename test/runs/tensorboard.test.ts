/**
 * Issue 26, item 1: `reportTo: [jsonl, tensorboard]` writes TensorBoard event files that an
 * independent reader (fixtures/tfevents-reader.ts, written from the TFRecord and Event specs)
 * reads back: every scalar of metrics.jsonl at its step (float32, as TensorBoard stores them), the
 * config as text and as HParams, the session's end, and a resume's START marker.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { LAB_FILES } from '../../src/lab/task/index.ts';
import { crc32c, TensorBoardWriter } from '../../src/runs/tensorboard.ts';
import { type LabSetup, labSetup } from '../reliability/fixtures/cli-lab.ts';
import { crc32cBitwise, type DecodedEvent, decodeHParams, readEvents } from './fixtures/tfevents-reader.ts';

const root = mkdtempSync(join(tmpdir(), 'tensorboard-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let lab: LabSetup;
beforeAll(async () => {
  lab = await labSetup(root);
});
beforeEach(() => {
  vi.spyOn(console, 'log').mockImplementation(() => {});
  vi.spyOn(console, 'error').mockImplementation(() => {});
});
afterEach(() => vi.restoreAllMocks());

const eventFiles = (run: string) =>
  readdirSync(join(run, 'tensorboard'))
    .filter((f) => f.startsWith('events.out.tfevents.'))
    .sort()
    .map((f) => join(run, 'tensorboard', f));

const metrics = (run: string) =>
  readFileSync(join(run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, number>);

/** step → tag → value of every scalar summary. */
function scalarsOf(events: DecodedEvent[]): Map<number, Map<string, number>> {
  const out = new Map<number, Map<string, number>>();
  for (const e of events)
    for (const v of e.summary ?? [])
      if (v.simpleValue !== undefined) {
        const m = out.get(e.step) ?? new Map<string, number>();
        m.set(v.tag, v.simpleValue);
        out.set(e.step, m);
      }
  return out;
}

function expectScalarsMatch(events: DecodedEvent[], lines: Record<string, number>[]) {
  const scalars = scalarsOf(events);
  expect([...scalars.keys()].sort((a, b) => a - b)).toEqual(lines.map((l) => l.step));
  for (const { step, ...rest } of lines) {
    const logged = scalars.get(step as number)!;
    expect([...logged.keys()].sort()).toEqual(Object.keys(rest).sort());
    for (const [k, v] of Object.entries(rest))
      expect(logged.get(k), `${k} at step ${step}`).toBe(Math.fround(v));
  }
}

describe('CRC-32C', () => {
  it("matches the standard check value and the reader's bitwise form", () => {
    const check = new TextEncoder().encode('123456789');
    expect(crc32cBitwise(check)).toBe(0xe3069283); // RFC 3720 / the CRC catalogue's check value
    expect(crc32c(check)).toBe(0xe3069283);
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 131 + 7) & 0xff);
    expect(crc32c(bytes)).toBe(crc32cBitwise(bytes));
  });
});

describe('reportTo: tensorboard', () => {
  it('sft: scalars, config text and HParams read back; a resume marks its start', async () => {
    const out = join(root, 'sft');
    const config = lab.config(
      'sft.yaml',
      lab.sft(out, { steps: 4, evalEvery: 2, reportTo: ['jsonl', 'tensorboard'] }),
    );
    expect(await main(['sft', '--config', config])).toBe(0);
    const [file] = eventFiles(out);
    const events = readEvents(file!);
    expect(events[0]!.fileVersion).toBe('brain.Event:2');
    const lines = metrics(out);
    expect(lines.map((l) => l.step)).toEqual([1, 2, 3, 4]);
    expect(lines[1]).toHaveProperty('eval/loss'); // evaluation lines too
    expectScalarsMatch(events, lines);

    const values = events.flatMap((e) => e.summary ?? []);
    const runJson = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    const configText = values.find((v) => v.tag === 'config' && v.plugin === 'text');
    expect(configText?.dtype).toBe(7); // DT_STRING
    expect(JSON.parse(configText!.strings![0]!)).toEqual(runJson.config);
    const hparams = values.filter((v) => v.plugin === 'hparams').map((v) => decodeHParams(v.pluginContent!));
    expect(hparams[0]!.hparams).toMatchObject({
      'optim.lr': 3e-3,
      'optim.schedule': 'constant',
      steps: 4,
      model: lab.init,
    });
    expect(hparams.at(-1)!.endStatus).toBe(1); // STATUS_SUCCESS

    // Resume to 6 steps: a second file, starting with START at step 5, then steps 5 and 6.
    expect(await main(['sft', '--config', config, '--set', 'steps=6'])).toBe(0);
    const files = eventFiles(out);
    expect(files).toHaveLength(2);
    const resumed = readEvents(files[1]!);
    const start = resumed.find((e) => e.sessionStatus !== undefined);
    expect(start).toMatchObject({ sessionStatus: 1, step: 5 });
    expectScalarsMatch(resumed, metrics(out).slice(4));
  });

  it('rl: the online metrics (objective/kl, …) as scalars; without reportTo no event files', async () => {
    const out = join(root, 'rl');
    const config = lab.config(
      'rl.yaml',
      lab.rl(out, {
        steps: 2,
        reportTo: ['tensorboard'],
        eval: { prompts: join(lab.data, LAB_FILES.sftEval), count: 3 },
        evalEvery: 1,
      }),
    );
    expect(await main(['rl', '--config', config])).toBe(0);
    const events = eventFiles(out).flatMap(readEvents);
    const lines = metrics(out);
    const step1 = lines.find((l) => l.step === 1)!;
    expect(Object.keys(step1)).toContain('objective/kl');
    expect(Object.keys(step1)).toContain('eval/proxy_reward');
    expectScalarsMatch(events, lines);
    // The evaluation's greedy summaries as a Markdown table in the Text tab, at each evaluated step.
    const samples = events.filter((e) =>
      e.summary?.some((v) => v.tag === 'eval/samples' && v.plugin === 'text'),
    );
    expect(samples.map((e) => e.step)).toEqual([0, 1, 2]); // evaluated before training too
    const table = samples[0]!.summary![0]!.strings![0]!.split('\n');
    expect(table[0]).toBe('| post | policy (greedy) | reference |');
    expect(table).toHaveLength(2 + 3);

    const plain = join(root, 'plain');
    expect(await main(['sft', '--config', lab.config('plain.yaml', lab.sft(plain, { steps: 1 }))])).toBe(0);
    expect(existsSync(join(plain, 'tensorboard'))).toBe(false);
  });

  it('text and non-finite values: text kept whole (UTF-8), NaN and Inf not written as scalars', () => {
    const dir = join(root, 'unit');
    const tb = new TensorBoardWriter(dir);
    tb.text(3, 'samples', 'TL;DR: ü → ok');
    tb.scalars(3, { a: 1.5, b: Number.NaN, c: Number.POSITIVE_INFINITY });
    const events = readEvents(tb.path);
    expect(events[1]!.summary![0]!.strings).toEqual(['TL;DR: ü → ok']);
    expect(events[2]!.summary!.map((v) => [v.tag, v.simpleValue])).toEqual([['a', 1.5]]);
  });
});
