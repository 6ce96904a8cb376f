/**
 * `pytorch_model.bin` snapshots: files written by Debian's python3-torch (`torch.save` of a state dict
 * with its `_metadata`, as nn.Module.state_dict() returns it; shards as HF writes them) load to the
 * same weights, and so the same logits, as the safetensors they were converted from, in F32, F16 and
 * BF16. Safetensors win when both are present; legacy pickles, foreign globals and corrupted files
 * are refused with an error naming the file, never a crash.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PytorchBinError, readPytorchBin } from '../../src/io/pytorch-bin.ts';
import { loadCausalLM } from '../../src/models/checkpoint/load-model.ts';
import { writeSnapshot } from '../../src/models/gptneox/write-snapshot.ts';
import { dispose, liveTensors, noGrad, type Tensor } from '../../src/tensor/index.ts';
import { mulberry32 } from '../tensor/reference.ts';
import {
  int64,
  maxAbsDiff,
  PYTHON,
  pythonTorchUnavailable,
  randomIds,
  tempDir,
  tinyConfig,
  wideRandomState,
} from './model-fixtures.ts';

const CONVERT = join(import.meta.dirname, '../../scripts/reference/safetensors_to_pytorch_bin.py');
const config = tinyConfig();
const skip = pythonTorchUnavailable();
let root: Awaited<ReturnType<typeof tempDir>>;
let n = 0;
const folder = (tag: string) => join(root.path, `${tag}-${n++}`);

beforeAll(async () => {
  root = await tempDir('pytorch-bin-');
});
afterAll(() => root.remove());

type FileDType = 'float32' | 'float16' | 'bfloat16';

/** A safetensors snapshot of seeded wide weights stored as `dtype`. */
async function safetensorsSnapshot(dtype: FileDType, seed: number): Promise<string> {
  const dir = folder(`st-${dtype}`);
  const state = wideRandomState(config, 'causal-lm', seed);
  const tensors = [...state].map(([name, t]): [string, Tensor] => [name, t.to(dtype)]);
  await writeSnapshot(dir, { config, architectures: ['GPTNeoXForCausalLM'], tensors });
  dispose([...state.values(), ...tensors.map(([, t]) => t)]);
  return dir;
}

/**
 * Conversions by python3-torch of safetensors snapshots into pytorch_model.bin folders (config.json
 * copied), all in one Python process: `convert(src, ...flags)` plans one and returns its folder,
 * `runConversions()` writes them all.
 */
const jobs: string[][] = [];
function convert(src: string, ...flags: string[]): string {
  const dir = folder('bin');
  jobs.push([src, dir, ...flags]);
  return dir;
}
function runConversions(): void {
  const file = join(root.path, `jobs-${n++}.json`);
  writeFileSync(file, JSON.stringify(jobs));
  execFileSync(PYTHON, [CONVERT, '--jobs', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  for (const [src, dir] of jobs.splice(0)) copyFileSync(join(src!, 'config.json'), join(dir!, 'config.json'));
}

async function logitsOf(dir: string, ids: Tensor, mask: Tensor): Promise<number[]> {
  const model = await loadCausalLM(dir);
  try {
    return noGrad(() => model.logits(ids, mask).toArray());
  } finally {
    model.dispose();
  }
}

const ids = int64(randomIds(2, 9, config.vocabSize, 3));
const mask = int64([
  [1, 1, 1, 1, 1, 1, 1, 1, 1],
  [0, 0, 1, 1, 1, 1, 1, 1, 1],
]);

const CASES: [FileDType, string[]][] = [
  ['float32', []],
  ['float16', []],
  ['bfloat16', []],
  ['float32', ['--shards', '3']],
  ['bfloat16', ['--shards', '2']],
  ['float32', ['--exotic']],
];

describe.skipIf(skip !== null)('pytorch_model.bin snapshots written by python3-torch', () => {
  const parity: { st: string; bin: string }[] = [];
  const files: Record<'preferred' | 'other' | 'alone' | 'legacy' | 'fuzz', string> = {} as never;
  const script = (dir: string) => `
import collections, os, torch
w = torch.arange(12, dtype=torch.float32).reshape(3, 4)
d = collections.OrderedDict(w=w.t(), half=torch.tensor([0.5, -2.0], dtype=torch.float16),
                            bf=torch.tensor([1.5, 3.0], dtype=torch.bfloat16), ids=torch.tensor([7, -1]))
d['tied'] = d['w']
torch.save(d, '${dir}/dtypes.bin')
class Payload:
    def __reduce__(self):
        return (os.system, ('touch ${dir}/payload-ran',))
torch.save({'w': torch.zeros(2), 'evil': Payload()}, '${dir}/global.bin')`;

  beforeAll(async () => {
    for (const [i, [dtype, flags]] of CASES.entries()) {
      const st = await safetensorsSnapshot(dtype, 11 + i);
      parity.push({ st, bin: convert(st, ...flags) });
    }
    files.preferred = await safetensorsSnapshot('float32', 21);
    files.other = convert(await safetensorsSnapshot('float32', 22));
    files.alone = await safetensorsSnapshot('float32', 21);
    files.legacy = convert(await safetensorsSnapshot('float32', 23), '--legacy');
    files.fuzz = convert(await safetensorsSnapshot('float32', 24));
    runConversions();
    copyFileSync(join(files.other, 'pytorch_model.bin'), join(files.preferred, 'pytorch_model.bin'));
    execFileSync(PYTHON, ['-c', script(root.path)]);
  });

  it.each(CASES.map(([dtype, flags], i) => [dtype, flags, i] as const))(
    '%s %j: same weights and logits as the safetensors',
    async (dtype, flags, i) => {
      const { st, bin } = parity[i]!;
      const names = readdirSync(bin).sort();
      if (flags.includes('--shards')) expect(names).toContain('pytorch_model.bin.index.json');
      else expect(names).toEqual(['config.json', 'pytorch_model.bin']);
      const a = await loadCausalLM(st);
      const b = await loadCausalLM(bin);
      for (const [name, t] of a.parameters()) expect(b.parameters().get(name)!.equal(t), name).toBe(true);
      a.dispose();
      b.dispose();
      const reference = await logitsOf(st, ids, mask);
      const fromBin = await logitsOf(bin, ids, mask);
      const diff = maxAbsDiff(reference, fromBin);
      console.log(
        `pytorch_model.bin ${dtype} ${flags.join(' ') || 'single'}: max |Δlogits| vs safetensors = ${diff}`,
      );
      expect(diff).toBe(0);
      expect(Math.max(...reference.map(Math.abs))).toBeGreaterThan(0.1); // the comparison is not of zeros
    },
  );

  it('keeps the file dtypes and hands out tensors that own their memory', () => {
    const before = liveTensors();
    const t = readPytorchBin(join(root.path, 'dtypes.bin'));
    expect([...t.keys()]).toEqual(['w', 'half', 'bf', 'ids', 'tied']);
    expect(t.get('w')!.shape).toEqual([4, 3]);
    expect(t.get('w')!.toArray()).toEqual([0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
    expect([t.get('half')!.dtype, t.get('bf')!.dtype, t.get('ids')!.dtype]).toEqual([
      'float16',
      'bfloat16',
      'int64',
    ]);
    expect(t.get('half')!.toArray()).toEqual([0.5, -2]);
    expect(t.get('bf')!.toArray()).toEqual([1.5, 3]);
    expect(t.get('ids')!.toArray()).toEqual([7, -1]);
    // 'tied' is the same tensor in the file; here it is a copy, so writing one leaves the other.
    t.get('tied')!.fill_(0);
    expect(t.get('w')!.toArray()[1]).toBe(4);
    dispose([...t.values()]);
    expect(liveTensors()).toBe(before);
  });

  it('prefers model.safetensors when both formats are present', async () => {
    const withBoth = await logitsOf(files.preferred, ids, mask);
    expect(maxAbsDiff(withBoth, await logitsOf(files.other, ids, mask))).toBeGreaterThan(0.01);
    expect(maxAbsDiff(withBoth, await logitsOf(files.alone, ids, mask))).toBe(0);
  });

  it('refuses a legacy (non-zip) pickle, naming the file', async () => {
    const file = join(files.legacy, 'pytorch_model.bin');
    await expect(loadCausalLM(files.legacy)).rejects.toThrow(`${file}: legacy (non-zip) torch.save format`);
  });

  it('refuses globals other than tensors and dicts: nothing in the file is run', () => {
    const file = join(root.path, 'global.bin');
    expect(() => readPytorchBin(file)).toThrow(
      new RegExp(`${file.replace(/[.]/g, '\\.')}: data\\.pkl: refusing global "(posix|os)\\.system"`),
    );
    expect(readdirSync(root.path)).not.toContain('payload-ran');
  });

  it('turns truncated and corrupted files into errors naming the file', () => {
    const file = join(files.fuzz, 'pytorch_model.bin');
    const bytes = readFileSync(file);
    const broken = `${file}.broken`;
    writeFileSync(broken, bytes.subarray(0, bytes.length >> 1));
    expect(() => readPytorchBin(broken)).toThrow(PytorchBinError);
    expect(() => readPytorchBin(broken)).toThrow(`${broken}: `);
    writeFileSync(broken, Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(200, 7)]));
    expect(() => readPytorchBin(broken)).toThrow(PytorchBinError);
    writeFileSync(broken, 'not a checkpoint');
    expect(() => readPytorchBin(broken)).toThrow(`${broken}: not a PyTorch zip archive`);

    // Random byte substitutions inside data.pkl (the first zip record, stored uncompressed; torch's
    // reader does not check CRCs, so they reach the unpickler): each loads or throws, none crashes.
    const nameLength = bytes.readUInt16LE(26);
    const start = 30 + nameLength + bytes.readUInt16LE(28);
    const length = bytes.readUInt32LE(18);
    expect(bytes.subarray(30, 30 + nameLength).toString()).toMatch(/data\.pkl$/);
    const next = mulberry32(5);
    let refused = 0;
    const trials = 300;
    for (let trial = 0; trial < trials; trial++) {
      const copy = Buffer.from(bytes);
      const edits = 1 + Math.floor(next() * 3);
      for (let e = 0; e < edits; e++) copy[start + Math.floor(next() * length)] = Math.floor(next() * 256);
      writeFileSync(broken, copy);
      try {
        dispose([...readPytorchBin(broken).values()]);
      } catch (err) {
        expect(err).toBeInstanceOf(PytorchBinError);
        expect((err as Error).message.startsWith(`${broken}: `)).toBe(true);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(trials / 3);
  });
});
