/**
 * Measured peak memory of one online training run against `maxent-rlhf plan`'s prediction, on this
 * CPU: random-init Pythia-shaped policy, reference and reward model (vocabulary 50304), left-padded
 * random prompts, RLOO (k = 2, KL in the reward, klPrev exact). On the CPU the peak is counted by
 * libtorch's allocator (trackHostMemory: every tensor and every temporary inside an op, the CPU
 * counterpart of CUDA's max_memory_allocated): the models' bytes plus the high-water mark from
 * after they load (loading's transients are no training phase) to the end of each step
 * (before the checkpoint, whose host-side buffers a GPU run would not hold in GPU memory). The
 * resident set's growth (VmHWM) is printed beside it as `rss`; it is no measure of the plan: the
 * heap keeps what it once held, and it read 0.69× to 1.63× the plan on the same run.
 *
 *   node bin/run-ts.mjs scripts/measure-memory.ts             # the 4 cases, each in a fresh process
 *   node bin/run-ts.mjs scripts/measure-memory.ts 70m 4       # one case (prints one JSON line)
 *   node bin/run-ts.mjs scripts/measure-memory.ts 160m 4 --device cuda --steps 4
 *       # on a GPU (scripts/gpu-check.sh): also each step's seconds; GPU memory is read outside
 *   ... --dtype bfloat16                                     # mixed precision (bf16 compute)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initModel } from '../src/models/checkpoint/init-model.ts';
import { loadConfig, loadRewardModel } from '../src/models/checkpoint/load-model.ts';
import { hostMemoryStats, resetHostMemoryPeak, tensor, trackHostMemory } from '../src/tensor/index.ts';
import { LMPolicy, rewardFromModel } from '../src/trainers/adapters/index.ts';
import { fmtBytes, memoryPlan, onlinePlanSettings } from '../src/trainers/memory-plan.ts';
import { OnlineTrainConfigSchema } from '../src/trainers/online/config.ts';
import { trainOnline } from '../src/trainers/online/trainer.ts';
import { mulberry32 } from '../src/util/prng.ts';

const PROMPT_TOKENS = 96;
const NEW_TOKENS = 32;
const PROMPTS = 8;

function status(key: string): number {
  const line = readFileSync('/proc/self/status', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${key}:`));
  return Number(line!.split(/\s+/)[1]) * 1024;
}

async function one(
  size: string,
  micro: number,
  device: string,
  steps: number,
  dtype: 'float32' | 'bfloat16',
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `measure-${size}-`));
  try {
    await initModel(`pythia-${size}`, join(dir, 'model'), { seed: 1, device });
    const config = OnlineTrainConfigSchema.parse({
      algorithm: 'rloo',
      steps,
      device,
      dtype,
      promptsPerStep: PROMPTS,
      maxNewTokens: NEW_TOKENS,
      temperature: 1,
      evalEvery: 0,
      checkpointEvery: 0,
      missingEosPenalty: null,
      regularizer: { kl: { coef: 0.05 } },
      rloo: { k: 2, minibatchSize: 16 },
      microBatchSize: micro,
      klPrev: 'exact',
    });
    const next = mulberry32(7);
    const rows = Array.from({ length: 64 }, () => {
      const len = 48 + Math.floor(next() * (PROMPT_TOKENS - 48 + 1));
      return Array.from({ length: len }, () => 1 + Math.floor(next() * 50000));
    });
    trackHostMemory();
    resetHostMemoryPeak();
    const counted = hostMemoryStats().current;
    writeFileSync('/proc/self/clear_refs', '5');
    const before = status('VmRSS');
    const policy = await LMPolicy.load(join(dir, 'model'), { trainable: true, device, dtype });
    const reference = await LMPolicy.load(join(dir, 'model'), { trainable: false, device, dtype });
    const rm = await loadRewardModel(join(dir, 'model'), { initScoreSeed: 3, device });
    // Loading's own transients (file buffers, dtype conversions) are not a training phase, and on a
    // GPU they stay on the host: the peak restarts here, from the loaded models.
    resetHostMemoryPeak();
    const stepSeconds: number[] = [];
    let measured = 0;
    let rss = 0;
    let last = performance.now();
    await trainOnline({
      runDir: join(dir, 'run'),
      name: 'measure',
      config,
      policy,
      reference,
      reward: rewardFromModel(rm),
      prompts: {
        count: rows.length,
        // Always PROMPT_TOKENS wide (left padding), as a batch holding a longest prompt is.
        batch: (indices) => ({
          ids: tensor(
            indices.map((i) => [...Array<number>(PROMPT_TOKENS - rows[i]!.length).fill(0), ...rows[i]!]),
            { dtype: 'int64' },
          ),
          mask: tensor(
            indices.map((i) => [
              ...Array<number>(PROMPT_TOKENS - rows[i]!.length).fill(0),
              ...Array<number>(rows[i]!.length).fill(1),
            ]),
          ),
          index: indices,
        }),
      },
      log: () => {},
      onStep: () => {
        // Each step's high-water mark, read before the session writes its checkpoint (host
        // memory only, never on the GPU; on the CPU its serialisation buffers would count).
        measured = Math.max(measured, hostMemoryStats().peak - counted);
        rss = Math.max(rss, status('VmHWM') - before);
        const now = performance.now();
        stepSeconds.push((now - last) / 1000);
        last = now;
      },
    });
    const model = await loadConfig(join(dir, 'model'));
    const plan = memoryPlan(onlinePlanSettings(config, { maxPromptTokens: PROMPT_TOKENS, reference: true }), {
      policy: model,
      reference: model,
      reward: model,
    });
    console.log(
      JSON.stringify({
        size,
        micro,
        device,
        dtype,
        stepSeconds,
        measured,
        rss,
        planned: plan.peak.bytes,
        phase: plan.peak.name,
        plan,
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1]! : fallback;
};
const device = flag('--device', 'cpu');
const steps = Number(flag('--steps', '1'));
const dtype = flag('--dtype', 'float32') as 'float32' | 'bfloat16';
const [size, micro] = args;
if (size) await one(size, Number(micro), device, steps, dtype);
else {
  const self = fileURLToPath(import.meta.url);
  const rowsOut: string[] = [
    '| shape | microBatchSize | planned peak (phase) | measured peak | measured / planned |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const [s, m] of [
    ['70m', 2],
    ['70m', 16],
    ['160m', 2],
    ['160m', 16],
  ] as const) {
    const out = execFileSync(process.execPath, [join(self, '../../bin/run-ts.mjs'), self, s, String(m)], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
    const r = JSON.parse(out.trim().split('\n').at(-1)!) as {
      measured: number;
      planned: number;
      phase: string;
    };
    rowsOut.push(
      `| pythia-${s} | ${m} | ${fmtBytes(r.planned)} (${r.phase}) | ${fmtBytes(r.measured)} | ${(r.measured / r.planned).toFixed(2)} |`,
    );
    console.error(rowsOut.at(-1));
  }
  console.log(rowsOut.join('\n'));
}
