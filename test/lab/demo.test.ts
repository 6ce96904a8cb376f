/**
 * The demo pipeline end to end on the `smoke` preset: every stage leaves a finished run folder,
 * the reward model trains on SFT samples and references, the proxy-vs-gold agreement is recorded,
 * the report is written with computed verdicts, and a second run reuses every cached stage.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDemoCommand } from '../../src/cli/commands/demo.ts';
import { goldScore, PROBE_KINDS } from '../../src/lab/task/index.ts';
import { RunDir } from '../../src/trainers/common/run-dir.ts';

const out = mkdtempSync(join(tmpdir(), 'demo-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('maxent-rlhf demo (smoke preset)', () => {
  const logs: string[] = [];
  const log = (m: string) => logs.push(m);

  it('runs every stage and writes the report', async () => {
    await runDemoCommand({ out, preset: 'smoke', fresh: true, log });
    for (const run of ['sft', 'rm', 'po/dpo', 'po/simpo', 'rl/kl-b0.2-lr0.001', 'rl/maxent-a0.2-lr0.001']) {
      expect(RunDir.isDone(join(out, run)), run).toBe(true);
      expect(existsSync(join(out, run, 'model', 'config.json')), `${run} saved its model`).toBe(true);
    }
    // The preference data: pairs of SFT samples and references from the preference posts, gold-labelled.
    const pairs = readFileSync(join(out, 'preferences', 'preference_train.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(pairs.length).toBeGreaterThan(0);
    const kinds = new Set(pairs.flatMap((p) => [p.chosen_kind, p.rejected_kind]));
    expect([...kinds].every((k) => k === 'policy' || k === 'reference')).toBe(true);
    expect(kinds.has('policy')).toBe(true);
    for (const p of pairs) expect(goldScore(p.facts, p.chosen).score).toBe(p.chosen_gold);
    const agreement = JSON.parse(readFileSync(join(out, 'rm', 'proxy-agreement.json'), 'utf8'));
    expect(Object.keys(agreement.probes)).toEqual([...PROBE_KINDS]);
    expect(agreement.completeOverTerse.pairs).toBe(8);
    expect(logs.join('\n')).toMatch(/task: oracle \(complete summary\) win rate \d\.\d{3}/);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('maxent-a0.2-lr0.001');
    expect(logs.join('\n')).toMatch(
      /MaxEnt \(regularizer=entropy\) runs over-optimise or collapse: (supported|not supported|not tested)/,
    );
    // The MaxEnt run measured KL to the reference although it did not train against it.
    const rl = readFileSync(join(out, 'rl/maxent-a0.2-lr0.001/metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rl.some((l) => typeof l['objective/kl'] === 'number')).toBe(true);
    expect(rl.filter((l) => typeof l['eval/win_rate'] === 'number').length).toBeGreaterThanOrEqual(3);
  });

  it('reuses cached stages on a second run', async () => {
    const stamp = statSync(join(out, 'sft', 'metrics.jsonl')).mtimeMs;
    const started = Date.now();
    await runDemoCommand({ out, preset: 'smoke', fresh: false, log });
    expect(statSync(join(out, 'sft', 'metrics.jsonl')).mtimeMs).toBe(stamp);
    expect(Date.now() - started).toBeLessThan(60_000);
  });
});
