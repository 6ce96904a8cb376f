/**
 * Validation of everything a user hands in: config files, dataset files, safetensors files.
 * Hand-written malformed inputs must each raise our error class with a message naming the key path
 * (configs), file + row + field (data) or file (+ tensor) (safetensors). Then many seeded random
 * mutations of valid files must either load or raise one of our error classes: never a
 * TypeError/RangeError/SyntaxError escaping, never a crash (the test process keeps running).
 * A compact table of inputs and messages is printed for the record.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetMetadata } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile } from '../../src/config/load.ts';
import { DataError, DatasetError, loadPreferenceDataset, loadSftDataset } from '../../src/data/index.ts';
import { SafetensorsError, SafetensorsReader, writeSafetensors } from '../../src/io/safetensors.ts';
import { loadTensors } from '../../src/io/tensor-io.ts';
import { PreferenceConfigSchema, SftConfigSchema } from '../../src/trainers/offline/config.ts';
import { OnlineTrainConfigSchema } from '../../src/trainers/online/config.ts';
import { mutate, prng } from './fixtures/mutate.ts';

const root = mkdtempSync(join(tmpdir(), 'reliability-fuzz-'));
let counter = 0;
function file(name: string, content: string | Uint8Array): string {
  const path = join(root, `${counter++}-${name}`);
  writeFileSync(path, content);
  return path;
}
const short = (m: string) =>
  m
    .replaceAll(root, '')
    .replace(/\/\d+-/g, '')
    .replace(/\s+/g, ' ')
    .slice(0, 150);

const handCases: { area: string; input: string; error: string }[] = [];
const fuzzRows: string[] = [];
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  const width = Math.max(...handCases.map((c) => c.input.length));
  console.log(
    [
      '[validation] malformed input → error',
      ...handCases.map((c) => `  ${c.area.padEnd(11)} ${c.input.padEnd(width)}  ${c.error}`),
      '[validation] seeded mutations of valid files',
      ...fuzzRows,
    ].join('\n'),
  );
});

async function errorOf(f: () => unknown): Promise<unknown> {
  try {
    await f();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** Runs `n` seeded mutations through `load`; every failure must be an instance of `ours`. */
async function fuzz(
  label: string,
  valid: Uint8Array,
  ext: string,
  n: number,
  seed: number,
  load: (path: string, i: number) => Promise<unknown>,
  ours: new (...args: never[]) => Error,
  focus?: number,
): Promise<void> {
  const rand = prng(seed);
  const outcomes = new Map<string, number>();
  const escaped: string[] = [];
  const messages = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const m = mutate(valid, rand, focus);
    const path = file(`fuzz${ext}`, m.bytes);
    const e = await errorOf(() => load(path, i));
    const kind = e === undefined ? 'loaded' : e instanceof Error ? e.constructor.name : typeof e;
    outcomes.set(kind, (outcomes.get(kind) ?? 0) + 1);
    if (e !== undefined && !(e instanceof ours))
      escaped.push(`${m.op}: ${kind}: ${(e as Error)?.stack ?? e}`);
    if (e instanceof ours) {
      expect(e.message, m.op).toContain(path); // every message names the file
      const gist = short(e.message.replace(path, '')).replace(/\d+/g, 'N').slice(0, 70);
      messages.set(gist, (messages.get(gist) ?? 0) + 1);
    }
    rmSync(path);
  }
  const top = [...messages].sort((a, b) => b[1] - a[1]).slice(0, 6);
  fuzzRows.push(
    `  ${label}: ${n} mutations (seed ${seed}) → ${[...outcomes].map(([k, v]) => `${k} ${v}`).join(', ')}`,
    ...top.map(([g, c]) => `      ${String(c).padStart(4)} × ${g}`),
  );
  expect(escaped, escaped.slice(0, 3).join('\n')).toEqual([]);
}

// ─── configs ────────────────────────────────────────────────────────────────────────────────────

const ONLINE_YAML = `algorithm: rloo
steps: 40
promptsPerStep: 8
lr: 0.0003
schedule: cosine
regularizer:
  kl:
    coef: 0.05
    estimator: k3
rloo:
  k: 4
  minibatchSize: 16
seed: 3
checkpointEvery: 10
`;
const PREFERENCE_YAML = `model: models/pythia-70m
out: runs/dpo
data:
  train: data/train.jsonl
  evalFraction: 0.1
maxPromptTokens: 128
maxTotalTokens: 192
optim:
  lr: 0.000003
  schedule: cosine
loss: dpo
beta: 0.1
`;

describe('configs → ConfigError naming the file and the key path', () => {
  it('the valid configs load', () => {
    expect(loadConfigFile(OnlineTrainConfigSchema, file('ok.yaml', ONLINE_YAML)).rloo.k).toBe(4);
    expect(loadConfigFile(PreferenceConfigSchema, file('ok.yaml', PREFERENCE_YAML)).beta).toBe(0.1);
  });

  const online = OnlineTrainConfigSchema;
  const pref = PreferenceConfigSchema;
  const CASES: {
    input: string;
    schema: typeof online | typeof pref | typeof SftConfigSchema;
    text: string;
    says: RegExp;
  }[] = [
    {
      input: 'unknown top-level key',
      schema: online,
      text: `${ONLINE_YAML}stepz: 10\n`,
      says: /\(top level\): .*"stepz"/,
    },
    {
      input: 'unknown nested key',
      schema: online,
      text: ONLINE_YAML.replace('coef: 0.05', 'coeff: 0.05'),
      says: /regularizer\.kl: .*"coeff"/,
    },
    {
      input: 'wrong type (steps: ten)',
      schema: online,
      text: ONLINE_YAML.replace('steps: 40', 'steps: ten'),
      says: /steps: .*number/,
    },
    {
      input: 'non-integer steps',
      schema: online,
      text: ONLINE_YAML.replace('steps: 40', 'steps: 4.5'),
      says: /steps: .*int/i,
    },
    {
      input: 'negative lr',
      schema: online,
      text: ONLINE_YAML.replace('lr: 0.0003', 'lr: -0.0003'),
      says: /lr: .*>0/,
    },
    {
      input: 'β = 0 (regularizer.kl.coef)',
      schema: online,
      text: ONLINE_YAML.replace('coef: 0.05', 'coef: 0'),
      says: /regularizer\.kl\.coef: .*>0/,
    },
    {
      input: 'α < 0 (regularizer.entropy.coef)',
      schema: online,
      text: ONLINE_YAML.replace('  kl:', '  entropy:').replace('coef: 0.05\n    estimator: k3', 'coef: -1'),
      says: /regularizer\.entropy\.coef: .*>0/,
    },
    {
      input: 'the flat regularizer form of earlier versions',
      schema: online,
      text: ONLINE_YAML.replace('  kl:\n    coef: 0.05\n    estimator: k3', '  kind: kl\n  klCoef: 0.05'),
      says: /regularizer: "kind", "klCoef": the flat form .* replaced by one block per term/,
    },
    {
      input: 'rloo.k = 1',
      schema: online,
      text: ONLINE_YAML.replace('k: 4', 'k: 1'),
      says: /rloo\.k: .*>=2/,
    },
    {
      input: 'unknown enum value',
      schema: online,
      text: ONLINE_YAML.replace('algorithm: rloo', 'algorithm: dpo'),
      says: /algorithm: .*"ppo"/,
    },
    {
      input: 'β = 0 (DPO beta)',
      schema: pref,
      text: PREFERENCE_YAML.replace('beta: 0.1', 'beta: 0'),
      says: /beta: .*>0/,
    },
    {
      input: 'β < 0 (DPO beta)',
      schema: pref,
      text: PREFERENCE_YAML.replace('beta: 0.1', 'beta: -2'),
      says: /beta: .*>0/,
    },
    {
      input: 'negative optim.lr',
      schema: pref,
      text: PREFERENCE_YAML.replace('lr: 0.000003', 'lr: -1'),
      says: /optim\.lr: .*>0/,
    },
    {
      input: 'maxPromptTokens ≥ maxTotalTokens',
      schema: pref,
      text: PREFERENCE_YAML.replace('maxPromptTokens: 128', 'maxPromptTokens: 192'),
      says: /maxPromptTokens: must be smaller than maxTotalTokens \(192\)/,
    },
    {
      input: 'maxPromptTokens > maxTotalTokens (SFT)',
      schema: SftConfigSchema,
      text: 'model: m\nout: o\ndata: {train: t.jsonl}\nmaxPromptTokens: 600\n',
      says: /maxPromptTokens: must be smaller than maxTotalTokens \(562\)/,
    },
    {
      input: 'missing required key',
      schema: pref,
      text: PREFERENCE_YAML.replace('out: runs/dpo\n', ''),
      says: /out: .*string/,
    },
    {
      input: 'evalFraction > 0.5',
      schema: pref,
      text: PREFERENCE_YAML.replace('evalFraction: 0.1', 'evalFraction: 0.9'),
      says: /data\.evalFraction: .*<=0\.5/,
    },
    { input: 'invalid YAML', schema: online, text: 'steps: [1, 2\nlr: 3', says: /is not valid YAML\/JSON/ },
    {
      input: 'invalid YAML (bad indent)',
      schema: online,
      text: 'regularizer:\n  kl:\n    coef: 1\n   estimator: k1\n',
      says: /is not valid YAML\/JSON/,
    },
    {
      input: 'top level is a list',
      schema: online,
      text: '- steps: 3\n- lr: 1\n',
      says: /must be a mapping of keys to values/,
    },
    {
      input: 'top level is a number',
      schema: online,
      text: '42\n',
      says: /must be a mapping of keys to values/,
    },
    {
      input: 'top level is a string',
      schema: online,
      text: 'hello world\n',
      says: /must be a mapping of keys to values/,
    },
    { input: 'empty file (offline: required keys)', schema: pref, text: '', says: /model: .*\n.*out: / },
  ];
  for (const c of CASES) {
    it(c.input, async () => {
      const path = file('config.yaml', c.text);
      const e = await errorOf(() => loadConfigFile(c.schema as typeof online, path));
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as Error).message).toContain(path);
      expect((e as Error).message).toMatch(c.says);
      handCases.push({
        area: 'config',
        input: c.input,
        error: short((e as Error).message.replace(path, '<file>')),
      });
    });
  }

  it('a missing config file', async () => {
    const e = await errorOf(() => loadConfigFile(OnlineTrainConfigSchema, join(root, 'none.yaml')));
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as Error).message).toMatch(/cannot read config .*none\.yaml: ENOENT/);
    handCases.push({ area: 'config', input: 'missing file', error: short((e as Error).message) });
  });

  it('300 seeded mutations of valid YAML configs: loaded or ConfigError, nothing else', async () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    await fuzz(
      'online config YAML',
      enc(ONLINE_YAML),
      '.yaml',
      150,
      101,
      async (p) => loadConfigFile(OnlineTrainConfigSchema, p),
      ConfigError,
    );
    await fuzz(
      'DPO config YAML',
      enc(PREFERENCE_YAML),
      '.yaml',
      150,
      102,
      async (p) => loadConfigFile(PreferenceConfigSchema, p),
      ConfigError,
    );
  });
});

// ─── datasets ───────────────────────────────────────────────────────────────────────────────────

const ROWS = [
  { prompt: 'What is 2 + 2?', chosen: ' 4.', rejected: ' 5.' },
  { prompt: 'Name a colour.', chosen: ' Blue.', rejected: ' Seven.' },
  { prompt: 'Capital of France?', chosen: ' Paris.', rejected: ' Rome.' },
  { prompt: 'Opposite of hot?', chosen: ' Cold.', rejected: ' Warm.' },
  { prompt: 'First letter?', chosen: ' A.', rejected: ' Z.' },
  { prompt: 'Say hi.', chosen: ' Hi!', rejected: ' Bye.' },
];
const jsonl = (rows: unknown[]) => `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`;
const parquetOf = (rows: Record<string, string>[], columns = ['prompt', 'chosen', 'rejected']) =>
  new Uint8Array(
    parquetWriteBuffer({
      columnData: columns.map((name) => ({
        name,
        data: rows.map((r) => r[name] ?? null),
        type: 'STRING' as const,
      })),
    }),
  );

describe('datasets → DataError / DatasetError naming file, row and field', () => {
  it('the valid files load', async () => {
    for (const [ext, content] of [
      ['.jsonl', jsonl(ROWS)],
      ['.json', JSON.stringify(ROWS)],
      ['.parquet', parquetOf(ROWS)],
    ] as const) {
      const { examples } = await loadPreferenceDataset(file(`ok${ext}`, content));
      expect(examples.map((e) => e.chosen)).toEqual(ROWS.map((r) => r.chosen));
    }
  });

  const bad = (i: number, row: Record<string, unknown>) => ROWS.map((r, j) => (j === i ? row : r));
  const CASES: {
    input: string;
    name: string;
    content: string | Uint8Array;
    row?: number;
    field?: string;
    says: RegExp;
    sft?: boolean;
  }[] = [
    {
      input: 'JSONL: a line of bad JSON',
      name: 'a.jsonl',
      content: jsonl(ROWS).replace('{"prompt":"Name', '{"prompt":Name'),
      row: 2,
      says: /invalid JSON/,
    },
    {
      input: 'JSONL: missing field',
      name: 'a.jsonl',
      content: jsonl(bad(2, { prompt: 'x', chosen: ' y' })),
      row: 3,
      field: 'rejected',
      says: /missing/,
    },
    {
      input: 'JSONL: wrong type (number)',
      name: 'a.jsonl',
      content: jsonl(bad(3, { ...ROWS[3], chosen: 42 })),
      row: 4,
      field: 'chosen',
      says: /got number/,
    },
    {
      input: 'JSONL: field is null',
      name: 'a.jsonl',
      content: jsonl(bad(0, { ...ROWS[0], rejected: null })),
      row: 1,
      field: 'rejected',
      says: /is null/,
    },
    {
      input: 'JSONL: empty text',
      name: 'a.jsonl',
      content: jsonl(bad(4, { ...ROWS[4], prompt: '' })),
      row: 5,
      field: 'prompt',
      says: /is empty/,
    },
    {
      input: 'JSONL: whitespace-only text',
      name: 'a.jsonl',
      content: jsonl(bad(1, { ...ROWS[1], chosen: ' \n ' })),
      row: 2,
      field: 'chosen',
      says: /whitespace-only/,
    },
    {
      input: 'JSONL: row is an array',
      name: 'a.jsonl',
      content: jsonl(bad(5, [1, 2] as never)),
      row: 6,
      says: /expected an object, got array/,
    },
    {
      input: 'JSONL: identical pair',
      name: 'a.jsonl',
      content: jsonl(bad(0, { ...ROWS[0], rejected: ' 4. ' })),
      row: 1,
      field: 'rejected',
      says: /identical/,
    },
    {
      input: 'JSONL: bad message list',
      name: 'a.jsonl',
      content: jsonl(bad(1, { ...ROWS[1], chosen: [{ role: 'assistant' }] })),
      row: 2,
      field: 'chosen',
      says: /no string "content"/,
    },
    {
      input: 'JSONL (SFT): missing completion',
      name: 's.jsonl',
      content: jsonl([{ prompt: 'a', completion: 'b' }, { prompt: 'c' }]),
      row: 2,
      field: 'completion',
      says: /missing/,
      sft: true,
    },
    {
      input: 'JSON: bad syntax',
      name: 'a.json',
      content: JSON.stringify(ROWS).slice(0, -5),
      says: /invalid JSON/,
    },
    {
      input: 'JSON: not an array',
      name: 'a.json',
      content: '{"items": []}',
      says: /expected an array of rows/,
    },
    {
      input: 'JSON: wrong type in row 3',
      name: 'a.json',
      content: JSON.stringify(bad(2, { ...ROWS[2], prompt: { text: 'x' } })),
      row: 3,
      field: 'prompt',
      says: /got object/,
    },
    {
      input: 'parquet: truncated file',
      name: 'a.parquet',
      content: parquetOf(ROWS).slice(0, 150),
      says: /cannot read parquet/,
    },
    {
      input: 'parquet: random bytes',
      name: 'a.parquet',
      content: Uint8Array.from({ length: 300 }, (_, i) => (i * 7919 + 13) % 251),
      says: /cannot read parquet/,
    },
    {
      input: 'parquet: missing column',
      name: 'a.parquet',
      content: parquetOf(ROWS, ['prompt', 'chosen']),
      row: 1,
      field: 'rejected',
      says: /missing/,
    },
    {
      input: 'parquet: null cell',
      name: 'a.parquet',
      content: parquetOf(bad(3, { prompt: 'p', chosen: 'c' }) as Record<string, string>[]),
      row: 4,
      field: 'rejected',
      says: /is null/,
    },
    {
      input: 'parquet: empty string cell',
      name: 'a.parquet',
      content: parquetOf(bad(1, { prompt: 'p', chosen: '', rejected: 'r' }) as Record<string, string>[]),
      row: 2,
      field: 'chosen',
      says: /is empty/,
    },
    { input: 'empty .jsonl file', name: 'e.jsonl', content: '', says: /no rows/ },
    { input: 'unknown extension', name: 'a.csv', content: 'a,b\n', says: /unknown data format/ },
  ];
  for (const c of CASES) {
    it(c.input, async () => {
      const path = file(c.name, c.content);
      const e = await errorOf(() => (c.sft ? loadSftDataset(path) : loadPreferenceDataset(path)));
      expect(e).toBeInstanceOf(c.row === undefined ? DatasetError : DataError);
      const msg = (e as Error).message;
      expect(msg.startsWith(`${path}: `)).toBe(true);
      if (c.row !== undefined) {
        expect(msg).toContain(`row ${c.row}:`);
        expect((e as DataError).bad.row).toBe(c.row);
      }
      if (c.field) expect(msg).toContain(`field "${c.field}"`);
      expect(msg).toMatch(c.says);
      handCases.push({ area: 'data', input: c.input, error: short(msg.replace(path, '<file>')) });
    });
  }

  it('parquet: a page header missing required fields (found by the fuzz below: hyparquet looped forever)', async () => {
    const valid = parquetOf(ROWS);
    const meta = parquetMetadata(valid.buffer as ArrayBuffer);
    const rejected = meta.row_groups[0]!.columns[2]!.meta_data!;
    const corrupt = valid.slice();
    // 0xa1 over the field header of num_nulls (DataPageHeaderV2) makes it a bool field with another id:
    // the required num_nulls is missing, and hyparquet decoded levels at offset NaN forever.
    corrupt[Number(rejected.data_page_offset) + 9] = 0xa1;
    const path = file('hang.parquet', corrupt);
    const e = await errorOf(() => loadPreferenceDataset(path));
    expect(e).toBeInstanceOf(DatasetError);
    expect((e as Error).message).toMatch(
      /cannot read parquet rows 1-6: column "rejected", page 1: .*(missing|invalid)/,
    );
    handCases.push({
      area: 'data',
      input: 'parquet: page header lacks required fields',
      error: short((e as Error).message.replace(path, '<file>')),
    });
  });

  it('a missing dataset file', async () => {
    const e = await errorOf(() => loadPreferenceDataset(join(root, 'none.jsonl')));
    expect(e).toBeInstanceOf(DatasetError);
    expect((e as Error).message).toMatch(/none\.jsonl: cannot read: ENOENT/);
    handCases.push({ area: 'data', input: 'missing file', error: short((e as Error).message) });
  });

  it('450 seeded mutations of valid JSONL / JSON / parquet files: loaded or DatasetError', async () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    const load = (p: string, i: number) =>
      loadPreferenceDataset(p, { onBadRow: i % 2 ? 'skip' : 'fail', log: () => {} });
    await fuzz('preference JSONL', enc(jsonl(ROWS)), '.jsonl', 150, 201, load, DatasetError);
    await fuzz('preference JSON', enc(JSON.stringify(ROWS, null, 1)), '.json', 100, 202, load, DatasetError);
    await fuzz('preference parquet', parquetOf(ROWS), '.parquet', 200, 203, load, DatasetError);
  });
});

// ─── safetensors ────────────────────────────────────────────────────────────────────────────────

/** A safetensors file by hand: 8-byte LE length, header JSON, data. */
function st(
  header: string | Uint8Array | object,
  data: Uint8Array | number[] = [],
  declared?: bigint,
): Uint8Array {
  const h =
    header instanceof Uint8Array
      ? Buffer.from(header)
      : Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(declared ?? BigInt(h.length));
  return Buffer.concat([len, h, Buffer.from(data)]);
}
const f32 = (shape: number[], begin = 0) => ({
  dtype: 'F32',
  shape,
  data_offsets: [begin, begin + 4 * shape.reduce((a, b) => a * b, 1)],
});

async function readAll(path: string): Promise<void> {
  const r = await SafetensorsReader.open(path);
  try {
    for (const name of r.names()) await r.read(name);
  } finally {
    await r.close();
  }
}

describe('safetensors → SafetensorsError naming the file', () => {
  const CASES: { input: string; bytes: Uint8Array; says: RegExp }[] = [
    {
      input: 'random bytes',
      bytes: Uint8Array.from({ length: 64 }, (_, i) => (i * 131 + 7) % 256),
      says: /header length .* (absurdly large|larger than)/,
    },
    { input: 'empty file', bytes: new Uint8Array(0), says: /file is 0 bytes/ },
    { input: '5-byte file', bytes: new Uint8Array(5), says: /shorter than the 8-byte/ },
    {
      input: 'truncated header',
      bytes: st({ a: f32([2]) }, new Uint8Array(8)).subarray(0, 20),
      says: /header length \d+ bytes is larger than/,
    },
    {
      input: 'header length 2^63',
      bytes: st({ a: f32([2]) }, new Uint8Array(8), 1n << 63n),
      says: /absurdly large/,
    },
    {
      input: 'header not JSON',
      bytes: st('{"a": {"dtype": "F32",', new Uint8Array(8)),
      says: /not valid JSON/,
    },
    {
      input: 'header not UTF-8',
      bytes: st(Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d])),
      says: /header \(4 bytes\) is not valid UTF-8/,
    },
    { input: 'header is an array', bytes: st('[1,2]'), says: /must be a JSON object/ },
    {
      input: 'unknown dtype',
      bytes: st({ a: { ...f32([2]), dtype: 'F33' } }, new Uint8Array(8)),
      says: /unknown dtype "F33"/,
    },
    {
      input: 'negative shape',
      bytes: st({ a: { ...f32([2]), shape: [-2] } }, new Uint8Array(8)),
      says: /shape must be an array of non-negative integers/,
    },
    {
      input: 'offsets past the data',
      bytes: st({ a: f32([4]) }, new Uint8Array(8)),
      says: /truncated: data must extend to byte 16/,
    },
    {
      input: 'offsets reversed',
      bytes: st({ a: { ...f32([2]), data_offsets: [8, 0] } }, new Uint8Array(8)),
      says: /data_offsets must be \[begin, end\]/,
    },
    {
      input: 'offsets span ≠ shape',
      bytes: st({ a: { ...f32([2]), data_offsets: [0, 12] } }, new Uint8Array(12)),
      says: /span 12 bytes but shape \[2\]/,
    },
    {
      input: 'overlapping tensors',
      bytes: st({ a: f32([2]), b: f32([2], 4) }, new Uint8Array(12)),
      says: /overlap/,
    },
    {
      input: '__metadata__ not strings',
      bytes: st({ __metadata__: { step: 3 }, a: f32([1]) }, new Uint8Array(4)),
      says: /__metadata__ value of key "step" must be a string/,
    },
    { input: 'entry not an object', bytes: st({ a: 7 }), says: /entry must be an object/ },
  ];
  for (const c of CASES) {
    it(c.input, async () => {
      const path = file('bad.safetensors', c.bytes);
      const e = await errorOf(() => readAll(path));
      expect(e).toBeInstanceOf(SafetensorsError);
      expect((e as Error).message).toContain(path);
      expect((e as Error).message).toMatch(c.says);
      // The tensor-level loader reports the same error.
      expect(await errorOf(() => loadTensors(path))).toBeInstanceOf(SafetensorsError);
      handCases.push({
        area: 'safetensors',
        input: c.input,
        error: short((e as Error).message.replace(path, '<file>')),
      });
    });
  }

  it('400 seeded mutations of a valid file (mostly in its header): loaded or SafetensorsError', async () => {
    const valid = file('ok.safetensors', '');
    await writeSafetensors(
      valid,
      [
        { name: 'model.w', dtype: 'F32', shape: [3, 2], data: new Uint8Array(24).fill(1) },
        { name: 'optim.step', dtype: 'I64', shape: [], data: new Uint8Array(8) },
        { name: 'model.b', dtype: 'F64', shape: [2], data: new Uint8Array(16).fill(2) },
      ],
      { format: 'pt' },
    );
    await readAll(valid);
    const bytes = new Uint8Array(await import('node:fs').then((fs) => fs.readFileSync(valid)));
    const headerEnd = 8 + Number(Buffer.from(bytes).readBigUInt64LE(0));
    await fuzz('safetensors (reader)', bytes, '.safetensors', 300, 301, readAll, SafetensorsError, headerEnd);
    await fuzz(
      'safetensors (loadTensors)',
      bytes,
      '.safetensors',
      100,
      302,
      async (p) => {
        const { tensors } = await loadTensors(p);
        for (const t of tensors.values()) t.dispose();
      },
      SafetensorsError,
      headerEnd,
    );
  });
});

describe('after all of the above', () => {
  it('the test process is still alive and responsive', async () => {
    expect(process.kill(process.pid, 0)).toBe(true);
    await new Promise((r) => setTimeout(r, 1));
  });
});
