/**
 * Data-parallel offline training (SFT, DPO) over 2 Gloo ranks on loopback against one process with
 * the same global batch: same metrics and final weights within float32 reduction-order tolerance;
 * rank 1 writes nothing; a rank killed mid-run stops the launcher, and the rerun resumes every rank
 * from rank 0's last checkpoint and ends bit-identical to an uninterrupted 2-rank run.
 *
 * Tolerance. The two runs compute the same sums in a different order: one process reduces each
 * micro-batch of 3 at once; two ranks reduce their shares (2 + 1 examples) and add the partial
 * gradients. Each float32 sum then differs by a few ulps (2⁻²³ ≈ 1.2e-7 relative), and 12 AdamW
 * steps carry such differences forward without amplifying them much (its update is scale-invariant
 * per coordinate). Measured: |Δw| ≈ 1e-7–5e-7 for weights of magnitude ≤ 1.6, the same size as
 * between two single-process runs that split the same batch into different micro-batches. The bound
 * is 1e-5 for weights and 1e-5·max(1, |value|) for metrics: 20–80× the measured noise, while
 * weighting the two ranks' shares equally (a mean of per-rank means) moves the weights by ≈ 0.2.
 *
 * Fixture choice: DPO starts from a policy that differs from its reference. From the reference
 * itself every pair has σ = ½ at the first step, so a token bigram in one pair's chosen and another
 * pair's rejected completion contributes exactly cancelling gradients; computed in any other order
 * the sum is ±1e-9 instead of 0, and Adam's first step (m̂/√v̂ ≈ sign g) turns that noise into a
 * full ±lr move. That happens just as much between two micro-batch splits in one process, so it
 * says nothing about data parallelism and is kept out of the comparison.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareMetrics, compareTensorFiles, metricLines } from '../reliability/fixtures/compare.ts';
import { NO_GLOO } from './fixtures/gloo.ts';
import { freePort, runNode, startCommand } from './fixtures/ranks.ts';

const root = mkdtempSync(join(tmpdir(), 'dp-offline-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const FIXTURE = 'test/distributed/fixtures/dp-train.ts';
const WEIGHT_TOLERANCE = 1e-5;
const METRIC_TOLERANCE = 1e-5;
const STEPS = 12;

/** The same training in one process (no WORLD_SIZE), into `out`. */
async function single(trainer: string, out: string) {
  const r = await runNode(['bin/run-ts.mjs', FIXTURE, trainer, out]);
  expect(r.code, r.stderr).toBe(0);
}

/** The training on 2 ranks; `out` holds %r (rank 1 gets its own folder, which must stay empty). */
async function twoRanks(trainer: string, out: string) {
  const ranks = startCommand(2, [FIXTURE, trainer, out], await freePort());
  const results = await ranks.done;
  for (const r of results) expect(r.code, `rank ${r.rank}: ${r.stderr}`).toBe(0);
  return results;
}

/** Compares two run folders: metrics line by line, the saved model's weights; returns printable rows. */
function compareRuns(a: string, b: string): string[] {
  const rows: string[] = [];
  const la = metricLines(join(a, 'metrics.jsonl'));
  const lb = metricLines(join(b, 'metrics.jsonl'));
  expect(lb.map((l) => l.step)).toEqual(la.map((l) => l.step));
  expect(la.map((l) => l.step)).toEqual(Array.from({ length: STEPS }, (_, i) => i + 1));
  const scale = new Map<string, number>();
  for (const l of la)
    for (const [k, v] of Object.entries(l)) scale.set(k, Math.max(scale.get(k) ?? 1, Math.abs(v ?? 0)));
  for (const [key, d] of compareMetrics(la, lb)) {
    rows.push(`    ${key}: max |Δ| = ${d.toExponential(2)} (|value| ≤ ${scale.get(key)!.toPrecision(3)})`);
    expect(d, key).toBeLessThanOrEqual(METRIC_TOLERANCE * scale.get(key)!);
  }
  for (const t of compareTensorFiles(
    join(a, 'model/model.safetensors'),
    join(b, 'model/model.safetensors'),
  )) {
    rows.push(`    weights ${t.name}: max |Δ| = ${t.maxAbsDiff.toExponential(2)}`);
    expect(t.maxAbsDiff, t.name).toBeLessThanOrEqual(WEIGHT_TOLERANCE);
  }
  return rows;
}

const state = (run: string, step: number) =>
  JSON.parse(
    readFileSync(join(run, 'checkpoints', `step-${String(step).padStart(8, '0')}`, 'state.json'), 'utf8'),
  ) as { step: number; extra: unknown; optimizerStep: number };

describe.skipIf(NO_GLOO)(
  'data-parallel offline trainers: 2 ranks equal 1 process with the same global batch',
  () => {
    for (const trainer of ['dpo', 'sft']) {
      it(`${trainer}: metrics and final weights within float32 tolerance; only rank 0 writes`, async () => {
        const one = join(root, `${trainer}-one`);
        const two = join(root, `${trainer}-two-%r`);
        await single(trainer, one);
        const results = await twoRanks(trainer, two);
        const rank0 = two.replace('%r', '0');
        expect(existsSync(two.replace('%r', '1')), 'rank 1 wrote a run folder').toBe(false);
        expect(JSON.parse(readFileSync(join(rank0, 'run.json'), 'utf8')).status).toBe('done');
        // Same data cursor and optimizer counters at the end.
        const [s1, s2] = [state(one, STEPS), state(rank0, STEPS)];
        expect(s2.extra).toEqual(s1.extra);
        expect(s2.optimizerStep).toBe(s1.optimizerStep);
        // Both ranks ran every step.
        for (const r of results)
          expect(r.stdout.split('\n').filter((l) => l.startsWith('step ')).length).toBe(STEPS);
        console.log(
          [
            `[dp-offline] ${trainer}: 1 process vs 2 ranks (global batch 3 = 2 + 1, gradAccum 2)`,
            ...compareRuns(one, rank0),
          ].join('\n'),
        );
      });
    }

    it('a rank killed mid-run stops the launcher; the rerun resumes every rank from the last checkpoint', async () => {
      const straight = join(root, 'dpo-two-0'); // the uninterrupted 2-rank run above
      expect(existsSync(join(straight, 'model'))).toBe(true);
      const killed = join(root, 'dpo-killed-%r');
      const rank0 = killed.replace('%r', '0');
      const launchArgs = (delay: string) => [
        'bin/maxent-rlhf.mjs',
        'launch',
        '--nproc',
        '2',
        '--stop-grace',
        '5',
        '--',
        process.execPath,
        'bin/run-ts.mjs',
        FIXTURE,
        'dpo',
        killed,
        delay,
      ];
      const metricsFile = join(rank0, 'metrics.jsonl');
      // Kill once step 7 is logged: the step-6 checkpoint exists, and a logged step lies past it.
      const checkpointed = () =>
        existsSync(metricsFile) &&
        readFileSync(metricsFile, 'utf8')
          .split('\n')
          .some((l) => l.startsWith('{"step":7,'));
      let killedAt = false;
      const first = await runNode(launchArgs('250'), {
        onOutput: (stdout) => {
          const pid = /\[rank 1\] pid (\d+)/.exec(stdout)?.[1];
          if (pid && !killedAt && checkpointed()) {
            killedAt = true;
            process.kill(Number(pid), 'SIGKILL');
          }
        },
      });
      expect(first.code).not.toBe(0);
      expect(first.stderr).toContain('[launch] rank 1 was killed by SIGKILL: stopping the other 1 worker(s)');
      expect(first.stderr).toMatch(/launch: rank 1 was killed by SIGKILL/);
      const logged = metricLines(join(rank0, 'metrics.jsonl')).map((l) => l.step);
      expect(logged.at(-1)!).toBeLessThan(STEPS);
      const resumeStep = Math.floor(logged.at(-1)! / 3) * 3; // checkpointEvery 3

      const second = await runNode(launchArgs('0'));
      expect(second.code, second.stderr).toBe(0);
      expect(second.stderr).toContain(`[rank 0] resumed dpo from`);
      expect(second.stderr).toContain(`(step ${resumeStep})`);
      expect(second.stderr).toContain(`[rank 1] rank 1: resumed from rank 0's state (step ${resumeStep})`);
      expect(second.stderr).toContain('[rank 0] reference log-probs: using cache');
      // The resumed run is the uninterrupted one, bit for bit: weights and every metrics line.
      for (const t of compareTensorFiles(
        join(straight, 'model/model.safetensors'),
        join(rank0, 'model/model.safetensors'),
      ))
        expect(t.bitwise, t.name).toBe(true);
      const a = metricLines(join(straight, 'metrics.jsonl'));
      const b = metricLines(join(rank0, 'metrics.jsonl'));
      expect(b.map((l) => l.step)).toEqual(a.map((l) => l.step));
      for (const [key, d] of compareMetrics(a, b)) expect(d, key).toBe(0);
      expect(existsSync(killed.replace('%r', '1'))).toBe(false);
      const launcherLines = first.stderr
        .split('\n')
        .filter((l) => l.startsWith('[launch]') || l.startsWith('launch:'));
      console.log(
        [
          `[dp-offline] killed rank 1 (SIGKILL) after step ${logged.at(-1)} was logged; launcher said:`,
          ...launcherLines.map((l) => `    ${l}`),
          `  rerun: both ranks resumed from step ${resumeStep}, ran to ${STEPS}; final weights and ${b.length} metrics lines bit-identical to the uninterrupted 2-rank run`,
        ].join('\n'),
      );
    });

    it("rank 0's start-up error reaches the other ranks, which stop naming it", async () => {
      const out = join(root, 'sft-broken-%r');
      // A checkpoint folder that never completed and no other: rank 0 refuses to start over silently.
      const ck = join(out.replace('%r', '0'), 'checkpoints', 'step-00000003');
      mkdirSync(ck, { recursive: true });
      const ranks = startCommand(2, [FIXTURE, 'sft', out], await freePort());
      const [r0, r1] = await ranks.done;
      expect(r0!.code).not.toBe(0);
      expect(r0!.stderr).toContain('every checkpoint in');
      expect(r1!.code).not.toBe(0);
      expect(r1!.stderr).toMatch(/rank 0 could not start the run: every checkpoint in .* is unusable/);
    });
  },
);
