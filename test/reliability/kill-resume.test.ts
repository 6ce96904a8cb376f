/**
 * Exact resume after SIGKILL: a child process trains, is killed mid-run once a checkpoint exists
 * (and metrics were logged past it), then the same command resumes it to the end. The result must
 * match an uninterrupted run of the same code (here, in the test process; both use one libtorch
 * thread) bit for bit: final weights, optimizer moments, RNG and data-cursor
 * state, and every metrics line (same steps, none twice, same values).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBandit } from './fixtures/bandit.ts';
import { checkpointSteps, loggedSteps, runAndKill, runScript } from './fixtures/child.ts';
import { compareMetrics, compareTensorFiles, metricLines } from './fixtures/compare.ts';
import { runOffline } from './fixtures/offline-runs.ts';

const root = mkdtempSync(join(tmpdir(), 'reliability-kill-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const stepDir = (run: string, step: number) =>
  join(run, 'checkpoints', `step-${String(step).padStart(8, '0')}`);

interface Case {
  name: string;
  script: string;
  args: string[];
  steps: number;
  checkpointEvery: number;
  firstLoggedStep: number;
  finalModel?: string;
  /** Something the resumed run must say (beyond "resumed … (step N)"). */
  resumeSays?: string;
  /** The same training in this process, uninterrupted. */
  straight: (runDir: string) => Promise<unknown>;
}

const CASES: Case[] = [
  {
    name: 'online RLOO + entropy bonus (TabularPolicy bandit, 3×6 logits)',
    script: 'train-online.ts',
    args: [],
    steps: 40,
    checkpointEvery: 3,
    firstLoggedStep: 0, // the step-0 evaluation line
    straight: (runDir) => runBandit({ runDir }),
  },
  {
    name: 'offline SFT (TinyLM)',
    script: 'train-offline.ts',
    args: ['sft'],
    steps: 30,
    checkpointEvery: 4,
    firstLoggedStep: 1,
    finalModel: 'model/model.safetensors',
    straight: (runDir) => runOffline('sft', runDir),
  },
  {
    name: 'offline DPO (TinyLM, cached reference log-probs)',
    script: 'train-offline.ts',
    args: ['dpo'],
    steps: 30,
    checkpointEvery: 4,
    firstLoggedStep: 1,
    finalModel: 'model/model.safetensors',
    resumeSays: 'reference log-probs: using cache',
    straight: (runDir) => runOffline('dpo', runDir),
  },
];

describe('SIGKILL mid-run, then resume, equals an uninterrupted run bit for bit', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const tag = c.script.replace('.ts', '') + (c.args[0] ? `-${c.args[0]}` : '');
      const straight = join(root, `${tag}-uninterrupted`);
      const killed = join(root, `${tag}-killed`);
      // Kill once the second checkpoint exists and at least one step was logged after the newest one.
      const ready = () => {
        const ck = checkpointSteps(killed);
        const last = ck[ck.length - 1] ?? 0;
        return last >= 2 * c.checkpointEvery && loggedSteps(killed).some((s) => s > last);
      };
      await c.straight(straight);
      await runAndKill(c.script, [...c.args, killed, '60'], ready);

      // The killed run: unfinished, with metrics past its newest checkpoint.
      const info = JSON.parse(readFileSync(join(killed, 'run.json'), 'utf8')) as { status: string };
      expect(info.status).toBe('running');
      const ckAtKill = checkpointSteps(killed);
      const resumeStep = ckAtKill[ckAtKill.length - 1]!;
      const beyond = loggedSteps(killed).filter((s) => s > resumeStep).length;
      expect(resumeStep).toBeLessThan(c.steps);

      const resumed = await runScript(c.script, [...c.args, killed]);
      expect(resumed.stderr).toContain(`(step ${resumeStep})`);
      if (beyond > 0) expect(resumed.stderr).toContain(`dropped ${beyond} lines`);
      if (c.resumeSays) expect(resumed.stderr).toContain(c.resumeSays);

      // Final weights and optimizer state, from the final checkpoint (and the saved model, offline).
      const files = [`checkpoints/step-${String(c.steps).padStart(8, '0')}/tensors.safetensors`];
      if (c.finalModel) files.push(c.finalModel);
      const rows: string[] = [];
      for (const f of files) {
        for (const t of compareTensorFiles(join(straight, f), join(killed, f))) {
          rows.push(
            `  ${f.split('/').slice(-2).join('/')}  ${t.name}: max |Δ| = ${t.maxAbsDiff}, bitwise ${t.bitwise}`,
          );
          expect(t.maxAbsDiff, `${f} ${t.name}`).toBe(0);
          expect(t.bitwise, `${f} ${t.name}`).toBe(true);
        }
      }
      // RNG states, data cursor, optimizer step count.
      const state = (run: string) => readFileSync(join(stepDir(run, c.steps), 'state.json'), 'utf8');
      expect(state(killed)).toBe(state(straight));

      // Metrics: same steps in order, none twice, same values.
      const a = metricLines(join(straight, 'metrics.jsonl'));
      const b = metricLines(join(killed, 'metrics.jsonl'));
      const steps = b.map((l) => l.step);
      expect(steps).toEqual(a.map((l) => l.step));
      expect(steps).toEqual(
        Array.from({ length: c.steps - c.firstLoggedStep + 1 }, (_, i) => i + c.firstLoggedStep),
      );
      const diffs = compareMetrics(a, b);
      for (const [key, d] of diffs) expect(d, key).toBe(0);

      expect(JSON.parse(readFileSync(join(killed, 'run.json'), 'utf8')).status).toBe('done');
      expect(readdirSync(join(killed, 'checkpoints')).filter((n) => n.includes('.partial-'))).toEqual([]);
      expect(existsSync(stepDir(killed, c.steps))).toBe(true);

      console.log(
        [
          `[kill-resume] ${c.name}: SIGKILLed with steps up to ${resumeStep + beyond} logged, ` +
            `resumed from checkpoint step ${resumeStep} (${beyond} logged steps past it dropped), ran to step ${c.steps}`,
          ...rows,
          `  metrics (${b.length} lines, steps ${steps[0]}..${steps[steps.length - 1]}, no duplicates): max |Δ| per metric`,
          ...[...diffs].map(([k, d]) => `    ${k}: ${d}`),
        ].join('\n'),
      );
    });
  }
});
