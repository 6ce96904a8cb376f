/**
 * docs/api-tutorial.md runs: its ```ts blocks, in order, as one module importing `maxent-rlhf` by
 * name (resolved to the sources). Then what it trained is checked: every run folder finished, the
 * lab judge's and the custom evaluator's metrics were logged, DPO read the reference it named, and a
 * config error named the key path before anything was loaded.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ROOT } from '../../scripts/gen-api-docs.ts';
import { readmeExamples } from '../../scripts/readme-examples.ts';

const blocks = readmeExamples(readFileSync(join(ROOT, 'docs/api-tutorial.md'), 'utf8'));
const dir = mkdtempSync(join(import.meta.dirname, '.tutorial-'));
let runs: Record<string, string> = {};
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  const root = runs.sft ? join(runs.sft, '..') : null;
  if (root) rmSync(root, { recursive: true, force: true });
});

const metrics = (run: string) =>
  readFileSync(join(run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, number>);

describe('docs/api-tutorial.md', () => {
  it('runs, and trains what it says', async () => {
    expect(blocks.length).toBeGreaterThanOrEqual(6);
    const file = join(dir, 'tutorial.ts');
    writeFileSync(file, blocks.map((b) => `// docs/api-tutorial.md line ${b.line}\n${b.code}`).join('\n'));
    const printed: unknown[][] = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void printed.push(a));
    try {
      await import(file);
    } finally {
      vi.restoreAllMocks();
    }
    runs = printed.find((a) => typeof a[0] === 'object' && a[0] !== null && 'bon' in a[0])![0] as Record<
      string,
      string
    >;
    for (const [name, run] of Object.entries(runs)) {
      expect(JSON.parse(readFileSync(join(run, 'run.json'), 'utf8')).status, name).toBe('done');
    }
    // The config's eval (lab judge) and the custom evaluator, logged as eval/*.
    expect(metrics(runs.kl!).at(-1)).toHaveProperty('eval/gold_score');
    expect(metrics(runs.maxent!).at(-1)!['eval/policy_parameters']).toBeGreaterThan(0);
    expect(metrics(runs.bon!).map((m) => m.step)).toEqual([1, 2]);
    expect(metrics(runs.bon!)[0]).toHaveProperty('eval/win_rate');
    // DPO's reference log-probs were computed (and cached) from the snapshot the config names.
    expect(existsSync(join(runs.dpo!, 'cache'))).toBe(true);
    const errorLine = printed.map((a) => String(a[0])).find((l) => l.startsWith('invalid config'));
    expect(errorLine).toMatch(/invalid config object[\s\S]*steps: Too small/);
  });
});
