/**
 * The online trainer (RLOO, k = 4, with an entropy bonus; a reference measuring KL) over 2 Gloo
 * ranks on loopback against one process with the same global batch of prompts: same metrics and
 * final weights within float32 reduction-order tolerance. Sampling noise is keyed by (seed, step,
 * prompt, sample), so each rank samples for its share of the prompts exactly the tokens one process
 * would; the shares are gathered, so advantages and minibatch shuffles are those of one process,
 * and each update's rows are split again over the ranks, weighted by their response tokens. Then a
 * 2-rank run stopped after 2 steps and resumed to 4 ends bit-identical to the straight 2-rank run
 * (rank 1 takes rank 0's checkpointed minibatch generator: with its own it would shuffle
 * differently and the shares would overlap).
 *
 * Tolerances. Metrics: 5e-5 relative (clip fractions 0.05, which count ties at the clip edge).
 * Weights: 3e-4 absolute after 4 AdamW steps at lr 3e-3 (10 % of one step's largest move). AdamW
 * divides each coordinate by its own gradient RMS, so a coordinate whose gradient nearly cancels
 * turns float32 rounding into a visibly different step; with such large policy moves (approx. KL
 * 0.33 at the first update) differences also grow from step to step. Measured: metrics ≤ 5.1e-6
 * relative, weights 6.1e-5 for one query-weight coordinate and ≤ 7e-6 elsewhere — while one process
 * with microBatchSize 2 instead of whole minibatches (the same update in exact arithmetic) differs
 * from the whole-minibatch run by 4.3e-5 (metrics) and 5.1e-4 (weights). Weighting the two ranks'
 * shares equally instead of by tokens moved weights by 7e-2 and objective/kl by 110 %.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareMetrics, compareTensorFiles, metricLines } from '../reliability/fixtures/compare.ts';
import { tempDirs, writeToyModel } from '../trainers/fixtures/toy-task.ts';
import { NO_GLOO } from './fixtures/gloo.ts';
import { freePort, runNode, startCommand } from './fixtures/ranks.ts';

const FIXTURE = 'test/distributed/fixtures/dp-online.ts';
const METRIC_TOLERANCE = 5e-5;
const CLIPFRAC_TOLERANCE = 0.05;
const WEIGHT_TOLERANCE = 3e-4;

const tmp = tempDirs('dp-online');
let base = '';
beforeAll(async () => {
  base = await writeToyModel(tmp.make('base'), { seed: 17, wide: true, layers: 2, rotaryPct: 1 });
});
afterAll(() => tmp.cleanup());

async function twoRanks(out: string, steps = 4) {
  const ranks = startCommand(2, [FIXTURE, base, out], await freePort(), { env: { DP_STEPS: String(steps) } });
  for (const r of await ranks.done) expect(r.code, `rank ${r.rank}: ${r.stderr}`).toBe(0);
}

const state = (run: string) =>
  JSON.parse(readFileSync(join(run, 'checkpoints', 'step-00000004', 'state.json'), 'utf8')) as {
    extra: unknown;
    rngs: Record<string, string>;
    optimizerStep: number;
  };

describe.skipIf(NO_GLOO)('data-parallel online RLOO with an entropy bonus', () => {
  let two = '';
  it('2 ranks equal 1 process with the same prompts per step; evaluation runs on rank 0', async () => {
    const one = join(tmp.make('one'), 'run');
    const r = await runNode(['bin/run-ts.mjs', FIXTURE, base, one]);
    expect(r.code, r.stderr).toBe(0);
    const template = join(tmp.make('two'), 'run-%r');
    await twoRanks(template);
    two = template.replace('%r', '0');
    expect(existsSync(template.replace('%r', '1')), 'rank 1 wrote a run folder').toBe(false);

    const a = metricLines(join(one, 'metrics.jsonl'));
    const b = metricLines(join(two, 'metrics.jsonl'));
    expect(b.map((l) => l.step)).toEqual([0, 1, 2, 3, 4]);
    // Evaluation (step 0, 2, 4) ran on rank 0, on the same weights as in one process.
    expect(b.filter((l) => 'eval/rank' in l).map((l) => [l.step, l['eval/rank']])).toEqual([
      [0, 0],
      [2, 0],
      [4, 0],
    ]);
    expect(b[1]!.episode).toBe(20); // 5 prompts × 4 samples, over both ranks
    const rows: string[] = [];
    for (const [key, d] of compareMetrics(a, b)) {
      const scale = Math.max(1, ...a.map((l) => Math.abs(l[key] ?? 0)));
      const bound = key.includes('clipfrac') ? CLIPFRAC_TOLERANCE : METRIC_TOLERANCE * scale;
      rows.push(`    ${key}: max |Δ| = ${d.toExponential(2)} (|value| ≤ ${scale.toPrecision(3)})`);
      expect(d, key).toBeLessThanOrEqual(bound);
    }
    let worst = { name: '', d: 0 };
    for (const t of compareTensorFiles(
      join(one, 'model/model.safetensors'),
      join(two, 'model/model.safetensors'),
    )) {
      if (t.maxAbsDiff > worst.d) worst = { name: t.name, d: t.maxAbsDiff };
      expect(t.maxAbsDiff, t.name).toBeLessThanOrEqual(WEIGHT_TOLERANCE);
    }
    // Same data cursor, optimizer counters and minibatch generator at the end.
    expect(state(two).extra).toEqual(state(one).extra);
    expect(state(two).rngs).toEqual(state(one).rngs);
    expect(state(two).optimizerStep).toBe(state(one).optimizerStep);
    console.log(
      [
        '[dp-online] RLOO k=4 + entropy bonus, 5 prompts/step (3 + 2 per rank), 4 steps: 1 process vs 2 ranks',
        ...rows,
        `    weights: max |Δ| = ${worst.d.toExponential(2)} (${worst.name})`,
      ].join('\n'),
    );
  });

  it('a 2-rank run resumed after 2 steps ends bit-identical to the straight 2-rank run', async () => {
    expect(two).not.toBe('');
    const template = join(tmp.make('resumed'), 'run-%r');
    await twoRanks(template, 2);
    await twoRanks(template, 4);
    const resumed = template.replace('%r', '0');
    for (const t of compareTensorFiles(
      join(two, 'model/model.safetensors'),
      join(resumed, 'model/model.safetensors'),
    ))
      expect(t.bitwise, t.name).toBe(true);
    const a = metricLines(join(two, 'metrics.jsonl'));
    const b = metricLines(join(resumed, 'metrics.jsonl'));
    expect(b.map((l) => l.step)).toEqual(a.map((l) => l.step));
    for (const [key, d] of compareMetrics(a, b)) expect(d, key).toBe(0);
  });
});
