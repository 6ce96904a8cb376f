/**
 * Sweeps without training: grid expansion (pure), the skip/resume/start plan, the runner's
 * handling of finished and failing runs, and the final table — on hand-made run folders.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  expandGrid,
  formatGridNumber,
  mergeConfig,
  planSweep,
  type RunState,
  runStateOf,
  runSweep,
  SweepConfigSchema,
  summaryTable,
} from '../../src/lab/sweep/index.ts';

const sweep = (grid: unknown, kind: 'rl' | 'po' = 'rl') =>
  SweepConfigSchema.parse({ name: 's', kind, base: 'b.yaml', grid });

describe('expandGrid', () => {
  it("expands the paper's grid: a KL baseline and several α per learning rate, seeds innermost", () => {
    const points = expandGrid(
      sweep({
        lr: [1e-6, 1e-7],
        regularizer: ['kl', 'entropy'],
        coef: { kl: [0.05], entropy: [0.01, 0.1] },
        seed: [1, 2],
      }),
      {},
    );
    expect(points.map((p) => p.name)).toEqual([
      'kl-b0.05-lr1e-6-s1',
      'kl-b0.05-lr1e-6-s2',
      'maxent-a0.01-lr1e-6-s1',
      'maxent-a0.01-lr1e-6-s2',
      'maxent-a0.1-lr1e-6-s1',
      'maxent-a0.1-lr1e-6-s2',
      'kl-b0.05-lr1e-7-s1',
      'kl-b0.05-lr1e-7-s2',
      'maxent-a0.01-lr1e-7-s1',
      'maxent-a0.01-lr1e-7-s2',
      'maxent-a0.1-lr1e-7-s1',
      'maxent-a0.1-lr1e-7-s2',
    ]);
    expect(points[0]!.overrides).toEqual({
      seed: 1,
      optim: { lr: 1e-6 },
      regularizer: { kl: { coef: 0.05 }, entropy: null },
    });
    expect(points[4]!.overrides).toEqual({
      seed: 1,
      optim: { lr: 1e-6 },
      regularizer: { kl: null, entropy: { coef: 0.1 } },
    });
    expect(points[4]!.values).toEqual({ lr: 1e-6, regularizer: 'entropy', coef: 0.1, seed: 1 });
  });

  it('a plain coefficient list applies to every regularizer; kl+entropy sweeps α; none takes no coefficient', () => {
    const points = expandGrid(sweep({ regularizer: ['kl', 'kl+entropy', 'none'], coef: [0.1, 0.2] }), {});
    expect(points.map((p) => p.name)).toEqual([
      'kl-b0.1',
      'kl-b0.2',
      'kl-maxent-a0.1',
      'kl-maxent-a0.2',
      'none',
    ]);
    expect(points[2]!.overrides).toEqual({ regularizer: { kl: {}, entropy: { coef: 0.1 } } });
    expect(points[4]!.overrides).toEqual({ regularizer: { kl: null, entropy: null } });
  });

  it("without a regularizer axis, coef goes to the base config's regularizer and the other block is left alone", () => {
    const points = expandGrid(sweep({ coef: [0.01, 0.03] }), { regularizer: 'entropy' });
    expect(points.map((p) => p.name)).toEqual(['maxent-a0.01', 'maxent-a0.03']);
    expect(points[1]!.overrides).toEqual({ regularizer: { entropy: { coef: 0.03 } } });
    const kl = expandGrid(sweep({ coef: [0.5] }), { regularizer: 'kl' });
    expect(kl[0]!.overrides).toEqual({ regularizer: { kl: { coef: 0.5 } } });
  });

  it('a regularizer missing from the coefficient map keeps its base coefficient', () => {
    const points = expandGrid(sweep({ regularizer: ['kl', 'entropy'], coef: { entropy: [0.2] } }), {});
    expect(points.map((p) => p.name)).toEqual(['kl', 'maxent-a0.2']);
    expect(points[0]!.overrides).toEqual({ regularizer: { kl: {}, entropy: null } });
  });

  it('po sweeps set loss, beta and optim.lr', () => {
    const points = expandGrid(
      sweep({ loss: ['dpo', 'simpo'], coef: { dpo: [0.05], simpo: [2, 2.5] }, lr: [5e-7] }, 'po'),
      {},
    );
    expect(points.map((p) => p.name)).toEqual(['dpo-b0.05-lr5e-7', 'simpo-b2-lr5e-7', 'simpo-b2.5-lr5e-7']);
    expect(points[2]!.overrides).toEqual({ loss: 'simpo', beta: 2.5, optim: { lr: 5e-7 } });
    expect(expandGrid(sweep({ coef: [0.1] }, 'po'), { loss: 'ipo' })[0]!.name).toBe('ipo-b0.1');
  });

  it('an empty grid is the base config itself', () => {
    expect(expandGrid(sweep({}), { regularizer: 'kl' })).toEqual([
      { name: 'base', overrides: {}, values: {} },
    ]);
    expect(expandGrid(sweep({ seed: [3] }), {}).map((p) => p.name)).toEqual(['s3']);
  });

  it('is deterministic', () => {
    const s = sweep({ lr: [3e-4, 1e-3], regularizer: ['entropy', 'kl'], coef: [0.1], seed: [2, 1] });
    expect(expandGrid(s, {})).toEqual(expandGrid(s, {}));
  });

  it('numbers in names are short and stable', () => {
    expect([1e-6, 5e-8, 3e-4, 1.5e-7, 0.05, 2, 0.001, 1e-3].map(formatGridNumber)).toEqual([
      '1e-6',
      '5e-8',
      '3e-4',
      '1.5e-7',
      '0.05',
      '2',
      '0.001',
      '0.001',
    ]);
  });

  it('repeated grid values are schema errors at their axis', () => {
    const r = SweepConfigSchema.safeParse({ name: 's', kind: 'rl', base: 'b', grid: { lr: [1e-6, 1e-6] } });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path).toEqual(['grid', 'lr']);
  });
});

describe('mergeConfig', () => {
  it('merges nested sections, later layers win, lists are replaced', () => {
    expect(
      mergeConfig(
        { regularizer: { kl: { coef: 0.05, estimator: 'k3' } }, grid: [1, 2], out: 'a' },
        { regularizer: { kl: { coef: 0.1 }, entropy: null }, grid: [3] },
        { out: 'b' },
      ),
    ).toEqual({ regularizer: { kl: { coef: 0.1, estimator: 'k3' }, entropy: null }, grid: [3], out: 'b' });
  });
});

const root = mkdtempSync(join(tmpdir(), 'cli-sweep-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A hand-made run folder with a status and metric lines. */
function fakeRun(dir: string, status: string, metrics: Record<string, number>[] = []): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'run.json'),
    JSON.stringify({ name: 'x', kind: 'rl', status, startedAt: '', labels: {}, config: {} }),
  );
  writeFileSync(join(dir, 'metrics.jsonl'), metrics.map((m) => `${JSON.stringify(m)}\n`).join(''));
}

describe('planning: skip finished runs, resume interrupted or failed ones, start new ones', () => {
  it('maps states to actions with an injected state lookup (pure)', () => {
    const points = expandGrid(sweep({ seed: [1, 2, 3, 4] }), {});
    const states: Record<string, RunState> = { s1: 'done', s2: 'running', s3: 'failed', s4: 'new' };
    const plan = planSweep(points, '/r/sw', (dir) => states[dir.split('/').pop()!]!);
    expect(plan.map((p) => [p.dir, p.action])).toEqual([
      ['/r/sw/s1', 'skip'],
      ['/r/sw/s2', 'resume'],
      ['/r/sw/s3', 'resume'],
      ['/r/sw/s4', 'start'],
    ]);
  });

  it('reads the state from run.json', () => {
    fakeRun(join(root, 'st', 'done'), 'done');
    fakeRun(join(root, 'st', 'running'), 'running');
    mkdirSync(join(root, 'st', 'torn'), { recursive: true });
    writeFileSync(join(root, 'st', 'torn', 'run.json'), '{"status": "do');
    expect(runStateOf(join(root, 'st', 'done'))).toBe('done');
    expect(runStateOf(join(root, 'st', 'running'))).toBe('running');
    expect(runStateOf(join(root, 'st', 'absent'))).toBe('new');
    expect(runStateOf(join(root, 'st', 'torn'))).toBe('new');
  });
});

describe('runSweep', () => {
  it('runs only unfinished runs, carries on after a failure, and tabulates every run', async () => {
    const sw = join(root, 'sw');
    const points = expandGrid(
      sweep({ regularizer: ['kl', 'entropy'], coef: { kl: [0.05], entropy: [0.01, 0.1] } }),
      {},
    );
    fakeRun(join(sw, 'kl-b0.05'), 'done', [
      { step: 1, 'objective/scores': 0.1, 'eval/win_rate': 0.4 },
      { step: 2, 'objective/scores': 0.3, 'objective/kl': 1.5 },
    ]);
    fakeRun(join(sw, 'maxent-a0.01'), 'running', [{ step: 1, 'objective/scores': -0.2 }]);
    const plan = planSweep(points, sw, runStateOf);
    const ran: string[] = [];
    const lines: string[] = [];
    const result = await runSweep({
      kind: 'rl',
      plan,
      print: (l) => lines.push(l),
      runPoint: async (p) => {
        ran.push(`${p.name}:${p.action}`);
        if (p.name === 'maxent-a0.1') throw new Error('boom');
        fakeRun(p.dir, 'done', [
          { step: 1, 'objective/scores': -0.2 },
          { step: 2, 'objective/scores': 0.9, 'objective/entropy': 12 },
        ]);
      },
    });
    expect(ran).toEqual(['maxent-a0.01:resume', 'maxent-a0.1:start']);
    expect(result.errors).toEqual([{ name: 'maxent-a0.1', message: 'boom' }]);
    expect(lines[0]).toBe('[1/3] kl-b0.05: done, skipped');
    const rows = result.table.split('\n');
    expect(rows[0]).toMatch(
      /^run +status +step +scores +rlhf reward +KL\(π‖π_ref\) +entropy +eval proxy +win rate$/,
    );
    expect(rows[2]).toMatch(/^kl-b0\.05 +done +2 +0\.300 +— +1\.500 +— +— +0\.400$/);
    expect(rows[3]).toMatch(/^maxent-a0\.01 +done +2 +0\.900 +— +— +12 +— +—$/);
    expect(rows[4]).toMatch(/^maxent-a0\.1 +error +— /);
  });
});

describe('summaryTable', () => {
  it('po tables show loss, accuracy, margin, eval accuracy and win rate; absent metrics are dashes', () => {
    const t = summaryTable('po', [
      { name: 'dpo', status: 'done', metrics: [{ step: 5, loss: 0.5, 'rewards/accuracies': 0.75 }] },
      { name: 'simpo', status: 'new', metrics: [] },
    ]);
    expect(t.split('\n')[0]).toMatch(/^run +status +step +loss +accuracy +margin +eval accuracy +win rate$/);
    expect(t.split('\n')[2]).toMatch(/^dpo +done +5 +0\.500 +0\.750 +— +— +—$/);
    expect(t.split('\n')[3]).toMatch(/^simpo +new +— +— /);
  });
});
