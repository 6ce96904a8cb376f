/**
 * Checkpoint integrity: a corrupt newest checkpoint (truncated tensors, a flipped byte, a missing or
 * broken manifest) is reported by file and skipped for the previous one; `.partial-*` folders are
 * never loaded and are cleaned up; keepLast K keeps exactly the K newest. End to end, a run whose
 * newest checkpoint is corrupt resumes from the previous one and still ends bit-identical to an
 * uninterrupted run.
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointManager } from '../../src/runs/checkpoint.ts';
import { type Tensor, tensor } from '../../src/tensor/index.ts';
import { banditConfig, runBandit } from './fixtures/bandit.ts';
import { compareMetrics, compareTensorFiles, metricLines } from './fixtures/compare.ts';

const root = mkdtempSync(join(tmpdir(), 'reliability-ckpt-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const fresh = () => join(root, `c${counter++}`);
const name = (step: number) => `step-${String(step).padStart(8, '0')}`;

/** Checkpoint `step` holds w = [step, step + 0.5, -step] (float64) and a marker in its state. */
async function saveSteps(
  dir: string,
  steps: number[],
  keepLast = 10,
  log: string[] = [],
): Promise<CheckpointManager> {
  const m = new CheckpointManager(dir, keepLast, (msg) => log.push(msg));
  for (const step of steps) {
    const w = tensor([step, step + 0.5, -step], { dtype: 'float64' });
    await m.save(new Map<string, Tensor>([['w', w]]), { step, marker: `written at ${step}` });
    w.dispose();
  }
  return m;
}

async function loadedStep(m: CheckpointManager): Promise<number | null> {
  const ck = await m.loadLatest();
  if (!ck) return null;
  // Contents, not just the folder name: the tensor and the state must be the ones saved at that step.
  expect(ck.tensors.get('w')!.toArray()).toEqual([ck.step, ck.step + 0.5, -ck.step]);
  expect(ck.state.marker).toBe(`written at ${ck.step}`);
  for (const t of ck.tensors.values()) t.dispose();
  return ck.step;
}

function flipByte(path: string, at: (size: number) => number): void {
  const b = readFileSync(path);
  const i = at(b.length);
  b[i] = b[i]! ^ 0x5a;
  writeFileSync(path, b);
}

const CORRUPTIONS: { what: string; corrupt: (ck: string) => void; message: RegExp }[] = [
  {
    what: 'tensors.safetensors truncated',
    corrupt: (ck) => truncateSync(join(ck, 'tensors.safetensors'), 40),
    message: /tensors\.safetensors has 40 bytes, manifest says \d+/,
  },
  {
    what: 'a byte flipped in the tensor data',
    corrupt: (ck) => flipByte(join(ck, 'tensors.safetensors'), (n) => n - 3),
    message: /tensors\.safetensors fails its sha256 check/,
  },
  {
    what: 'a byte flipped in the safetensors header',
    corrupt: (ck) => flipByte(join(ck, 'tensors.safetensors'), () => 12),
    message: /tensors\.safetensors fails its sha256 check/,
  },
  {
    what: 'a byte flipped in state.json',
    corrupt: (ck) => flipByte(join(ck, 'state.json'), (n) => Math.floor(n / 2)),
    message: /state\.json fails its sha256 check/,
  },
  {
    what: 'tensors.safetensors deleted',
    corrupt: (ck) => rmSync(join(ck, 'tensors.safetensors')),
    message: /tensors\.safetensors is missing/,
  },
  {
    what: 'manifest.json deleted',
    corrupt: (ck) => rmSync(join(ck, 'manifest.json')),
    message: /manifest\.json/,
  },
  {
    what: 'manifest.json truncated (invalid JSON)',
    corrupt: (ck) => truncateSync(join(ck, 'manifest.json'), 10),
    message: /manifest\.json is not valid JSON/,
  },
  {
    what: 'manifest.json holding JSON null',
    corrupt: (ck) => writeFileSync(join(ck, 'manifest.json'), 'null'),
    message: /manifest\.json/,
  },
  {
    what: 'manifest.json with a wrong size entry',
    corrupt: (ck) => {
      const m = JSON.parse(readFileSync(join(ck, 'manifest.json'), 'utf8'));
      m['state.json'].bytes += 1;
      writeFileSync(join(ck, 'manifest.json'), JSON.stringify(m));
    },
    message: /state\.json has \d+ bytes, manifest says \d+/,
  },
];

describe('a corrupt newest checkpoint falls back to the previous one, naming the file', () => {
  for (const c of CORRUPTIONS) {
    it(c.what, async () => {
      const dir = fresh();
      const log: string[] = [];
      const m = await saveSteps(dir, [1, 2, 3], 10, log);
      c.corrupt(join(dir, name(3)));
      expect(await loadedStep(m)).toBe(2);
      expect(log).toHaveLength(1);
      expect(log[0]).toContain(join(dir, name(3)));
      expect(log[0]).toMatch(c.message);
      expect(m.latestValidName()).toBe(name(2));
      console.log(`[checkpoint] ${c.what}: ${log[0]!.replace(dir, '<dir>')}`);
    });
  }

  it('two corrupt checkpoints fall back two steps; all corrupt gives null with one message each', async () => {
    const dir = fresh();
    const log: string[] = [];
    const m = await saveSteps(dir, [1, 2, 3], 10, log);
    rmSync(join(dir, name(3), 'manifest.json'));
    flipByte(join(dir, name(2), 'tensors.safetensors'), (n) => n - 1);
    expect(await loadedStep(m)).toBe(1);
    expect(log).toHaveLength(2);
    truncateSync(join(dir, name(1), 'state.json'), 3);
    log.length = 0;
    expect(await m.loadLatest()).toBeNull();
    expect(log.map((l) => l.match(/step-\d{8}/)?.[0])).toEqual([name(3), name(2), name(1)]);
    expect(log[2]).toMatch(/state\.json has 3 bytes.*no earlier checkpoint exists/);
  });

  it('an empty or missing checkpoint folder gives null without a message', async () => {
    const log: string[] = [];
    const m = new CheckpointManager(fresh(), 2, (msg) => log.push(msg));
    expect(await m.loadLatest()).toBeNull();
    expect(m.latestValidName()).toBeNull();
    expect(log).toEqual([]);
  });
});

describe('.partial-* folders and pruning', () => {
  it('a .partial-* folder is never loaded, even with a valid manifest, and the next save removes it', async () => {
    const dir = fresh();
    const m = await saveSteps(dir, [1, 2]);
    // A whole copy of a newer-looking checkpoint under a partial name (as a crash mid-rename would leave).
    cpSync(join(dir, name(2)), join(dir, `${name(9)}.partial-12345`), { recursive: true });
    writeFileSync(join(dir, `${name(9)}.partial-999`), 'junk');
    writeFileSync(join(dir, 'step-9'), 'not a checkpoint name');
    expect(await loadedStep(m)).toBe(2);
    expect(m.latestValidName()).toBe(name(2));
    await saveSteps(dir, [3]);
    expect(readdirSync(dir).filter((n) => n.includes('.partial-'))).toEqual([]);
    expect(await loadedStep(m)).toBe(3);
  });

  for (const k of [1, 2, 3]) {
    it(`keepLast ${k} keeps exactly the ${k} newest checkpoints`, async () => {
      const dir = fresh();
      const m = await saveSteps(dir, [1, 2, 3, 4, 5, 6], k);
      const expected = [6, 5, 4].slice(0, k).reverse().map(name);
      expect(readdirSync(dir).sort()).toEqual(expected);
      expect(await loadedStep(m)).toBe(6);
    });
  }

  it('pruning counts only valid checkpoints: a corrupt newest one does not push out a good one', async () => {
    const dir = fresh();
    const m = await saveSteps(dir, [1, 2], 2);
    await saveSteps(dir, [3], 2);
    flipByte(join(dir, name(3), 'state.json'), () => 2);
    await saveSteps(dir, [4], 2); // valid: 4, 2 (and 1 pruned); 3 is corrupt
    expect(existsSync(join(dir, name(2)))).toBe(true);
    expect(existsSync(join(dir, name(1)))).toBe(false);
    rmSync(join(dir, name(4), 'manifest.json'));
    expect(await loadedStep(m)).toBe(2);
  });
});

describe('a checkpoint deleted halfway by a kill during pruning', () => {
  it('an older half-deleted step-N folder is removed by the next save; deletions go through .deleting-', async () => {
    const dir = fresh();
    const m = await saveSteps(dir, [1, 2, 3], 2);
    // What a SIGKILL in the middle of rmSync(step-1) left behind with the old pruning.
    mkdirSync(join(dir, name(1)));
    writeFileSync(join(dir, name(1), 'state.json'), '{"step": 1}');
    mkdirSync(join(dir, `${name(2)}.deleting-4242`));
    const log: string[] = [];
    await saveSteps(dir, [4], 2, log);
    expect(readdirSync(dir).sort()).toEqual([name(3), name(4)]);
    expect(await loadedStep(m)).toBe(4);
    expect(m.count()).toBe(2);
  });
});

describe('end to end: a run whose newest checkpoint is corrupt', () => {
  it('resumes from the previous checkpoint and ends bit-identical to an uninterrupted run', async () => {
    const config = banditConfig({ steps: 14, checkpointEvery: 3, keepCheckpoints: 3 });
    const straight = fresh();
    await runBandit({ runDir: straight, config });

    const run = fresh();
    // Crash at step 11: checkpoints 3 (pruned), 6, 9 exist; metrics were logged up to step 11.
    await expect(
      runBandit({
        runDir: run,
        config,
        onStep: (step) => {
          if (step === 11) throw new Error('simulated crash');
        },
      }),
    ).rejects.toThrow('simulated crash');
    flipByte(join(run, 'checkpoints', name(9), 'tensors.safetensors'), (n) => n - 5);
    const log: string[] = [];
    await runBandit({ runDir: run, config, log: (m) => log.push(m) });
    expect(log.join('\n')).toMatch(
      /step-00000009 is unusable \(tensors\.safetensors fails its sha256 check\)/,
    );
    expect(log.join('\n')).toMatch(
      /resumed bandit from .*step-00000006 \(step 6\); metrics log: dropped 5 lines/,
    );

    const final = `checkpoints/${name(14)}/tensors.safetensors`;
    for (const t of compareTensorFiles(join(straight, final), join(run, final)))
      expect(t.bitwise, t.name).toBe(true);
    const a = metricLines(join(straight, 'metrics.jsonl'));
    const b = metricLines(join(run, 'metrics.jsonl'));
    expect(b.map((l) => l.step)).toEqual(Array.from({ length: 15 }, (_, i) => i));
    for (const [k, d] of compareMetrics(a, b)) expect(d, k).toBe(0);
  });
});
