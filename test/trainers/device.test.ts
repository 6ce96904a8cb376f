/**
 * The `device` key: auto | cpu | cuda | cuda:N in every trainer config and `--device` on the model
 * commands. On a CPU-only libtorch (this machine) asking for CUDA is a config error naming the key
 * (or the flag) before anything is loaded; auto resolves to the CPU; run.json and `info` record the
 * device; a trainer refuses models that live elsewhere than its device.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { cudaInfo, rankDevice, resolveDevice, tensor, withDefaultDevice } from '../../src/tensor/index.ts';
import { runDevice } from '../../src/trainers/common/device.ts';
import { SftConfigSchema } from '../../src/trainers/offline/config.ts';
import { OnlineTrainConfigSchema } from '../../src/trainers/online/config.ts';
import { TabularPolicy } from '../../src/trainers/online/tabular-policy.ts';
import { trainOnline } from '../../src/trainers/online/trainer.ts';

const dir = mkdtempSync(join(tmpdir(), 'device-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let stderr: string[] = [];
let stdout: string[] = [];
beforeEach(() => {
  stderr = [];
  stdout = [];
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void stderr.push(a.join(' ')));
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void stdout.push(a.join(' ')));
});
afterEach(() => vi.restoreAllMocks());

const cpuOnly = !cudaInfo().available;

describe('device settings', () => {
  it('defaults to auto in every trainer config and accepts only auto, cpu, cuda, cuda:N', () => {
    expect(OnlineTrainConfigSchema.parse({}).device).toBe('auto');
    const sft = { model: 'm', out: 'o', data: { train: 't.jsonl' } };
    expect(SftConfigSchema.parse(sft).device).toBe('auto');
    for (const bad of ['gpu', 'cuda:', 'cuda:x', 'CPU']) {
      const r = OnlineTrainConfigSchema.safeParse({ device: bad });
      expect(r.success, bad).toBe(false);
      expect(r.error?.issues[0]?.path).toEqual(['device']);
      expect(r.error?.issues[0]?.message).toMatch(/auto, cpu, cuda or cuda:N/);
    }
  });

  it.runIf(cpuOnly)('asking for CUDA on a CPU-only libtorch is a config error naming the key', async () => {
    const r = SftConfigSchema.safeParse({ model: 'm', out: 'o', data: { train: 't' }, device: 'cuda:1' });
    expect(r.error?.issues[0]?.path).toEqual(['device']);
    expect(r.error?.issues[0]?.message).toMatch(/needs CUDA.*CPU-only/);
    const f = join(dir, 'rl.yaml');
    writeFileSync(
      f,
      `model: ${dir}/p\nreward: ${dir}/r\nout: ${dir}/o\ndata: { prompts: ${dir}/x.jsonl }\ndevice: cuda\n`,
    );
    expect(await main(['rl', '--config', f])).not.toBe(0);
    expect(stderr.join('\n')).toMatch(new RegExp(`invalid config ${f}[\\s\\S]*device: "cuda" needs CUDA`));
    expect(await main(['generate', '--model', dir, '--prompt', 'hi', '--device', 'cuda'])).not.toBe(0);
    expect(stderr.join('\n')).toMatch(/--device "cuda" needs CUDA/);
    expect(() => resolveDevice('cuda:0')).toThrow(/needs CUDA/);
  });

  it('auto resolves to CUDA when the libtorch has it, else the CPU; info reports it', async () => {
    expect(resolveDevice('auto')).toBe(cudaInfo().available ? 'cuda:0' : 'cpu');
    expect(await main(['info', '--json'])).toBe(0);
    expect(JSON.parse(stdout.join('\n')).autoDevice).toBe(resolveDevice('auto'));
  });

  it('a launched rank: auto is cuda:LOCAL_RANK with CUDA (an error past the GPUs), the CPU without', () => {
    const { available, devices } = cudaInfo();
    expect(rankDevice('auto', null)).toBe(resolveDevice('auto'));
    expect(rankDevice('cpu', 1)).toBe('cpu');
    if (available) {
      expect(rankDevice('auto', devices - 1)).toBe(`cuda:${devices - 1}`);
      expect(() => rankDevice('auto', devices)).toThrow(/LOCAL_RANK/);
      expect(rankDevice('cuda:0', devices - 1)).toBe('cuda:0');
    } else {
      expect(rankDevice('auto', 3)).toBe('cpu');
      expect(() => rankDevice('cuda', 0)).toThrow(/needs CUDA/);
    }
  });

  it('tensors a run creates go to its device; models elsewhere are refused', () => {
    expect(withDefaultDevice('cpu', () => tensor([1]).device)).toBe('cpu');
    const params = new Map([['w', tensor([1, 2])]]);
    expect(runDevice('auto', { policy: params })).toBe('cpu');
    expect(runDevice('cpu', { policy: params, reference: null })).toBe('cpu');
    // A model on the "meta" device stands in for one on another GPU.
    const elsewhere = { device: 'meta' } as unknown as ReturnType<typeof tensor>;
    expect(() => runDevice('cpu', { policy: params, reference: new Map([['w', elsewhere]]) })).toThrow(
      /the run is on cpu \(device: cpu\), but the reference's w is on meta/,
    );
  });

  it('run.json records the resolved device', async () => {
    const out = join(dir, 'bandit');
    await trainOnline({
      runDir: out,
      name: 'bandit',
      config: OnlineTrainConfigSchema.parse({
        steps: 1,
        promptsPerStep: 2,
        maxNewTokens: 1,
        evalEvery: 0,
        regularizer: { entropy: { coef: 0.1 } },
        rloo: { k: 2 },
        device: 'auto',
      }),
      policy: new TabularPolicy([
        [0, 1],
        [1, 0],
      ]),
      reference: null,
      reward: (r) => r.responseIds.squeeze(1).to('float64'),
      prompts: { count: 2, batch: (i) => TabularPolicy.prompts(i) },
      log: () => {},
    });
    expect(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).device).toBe('cpu');
  });
});
