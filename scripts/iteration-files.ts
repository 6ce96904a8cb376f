/**
 * Which files of src/ run code in one online iteration, measured rather than read: `maxent-rlhf rl`
 * trains the same config for 1 and for 2 steps under V8's precise coverage, and a function whose
 * call count grew ran in the second iteration. The files are printed top down by layer
 * (test/architecture/layers.ts); docs/architecture.md reads the count.
 *   node bin/run-ts.mjs scripts/iteration-files.ts [--algorithm rloo|ppo] [--lab DIR]
 * DIR is a seed folder of `maxent-rlhf demo` (default: a fresh `demo --smoke` in a temporary folder).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { unitOf } from '../test/architecture/layers.ts';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = join(ROOT, 'bin/maxent-rlhf.mjs');
const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const algorithm = arg('--algorithm') ?? 'rloo';
const work = mkdtempSync(join(tmpdir(), 'iteration-files-'));
const env = { ...process.env, MAXENT_THREADS: '1', OPENBLAS_NUM_THREADS: '1' };
let lab = arg('--lab');
if (!lab) {
  execFileSync(process.execPath, [CLI, 'demo', '--smoke', '--jobs', '1', '--out', join(work, 'demo')], {
    env,
  });
  lab = join(work, 'demo', 'seed-1');
}

/** Call counts of every function of src/ after `steps` iterations, keyed by file, name and offset. */
function callCounts(steps: number): Map<string, number> {
  const coverage = join(work, `coverage-${steps}`);
  const sets = [
    `model=${lab}/sft/model`,
    `reference=${lab}/sft/model`,
    `reward=${lab}/rm/model`,
    `data.prompts=${lab}/data/sft_train.jsonl`,
    `out=${join(work, `run-${steps}`)}`,
    `algorithm=${algorithm}`,
    `steps=${steps}`,
    'eval=null',
    'promptsPerStep=4',
    'maxNewTokens=8',
    'checkpointEvery=0',
  ];
  const config = join(ROOT, 'configs/lab/rl-kl.yaml');
  execFileSync(process.execPath, [CLI, 'rl', '--config', config, ...sets.flatMap((s) => ['--set', s])], {
    env: { ...env, NODE_V8_COVERAGE: coverage },
  });
  const counts = new Map<string, number>();
  for (const file of readdirSync(coverage)) {
    const { result } = JSON.parse(readFileSync(join(coverage, file), 'utf8')) as {
      result: {
        url: string;
        functions: { functionName: string; ranges: { startOffset: number; count: number }[] }[];
      }[];
    };
    for (const script of result) {
      const at = script.url.indexOf('/src/');
      if (at < 0 || script.url.includes('node_modules')) continue;
      for (const f of script.functions)
        counts.set(
          `${script.url.slice(at + 5)}\t${f.functionName}\t${f.ranges[0]!.startOffset}`,
          f.ranges[0]!.count,
        );
    }
  }
  return counts;
}

const one = callCounts(1);
const two = callCounts(2);
const files = new Set<string>();
for (const [key, count] of two) if (count > (one.get(key) ?? 0)) files.add(key.split('\t')[0]!);
const byLayer = [...files].sort((a, b) => unitOf(b)!.layer - unitOf(a)!.layer || a.localeCompare(b));
console.log(`${files.size} files of src/ run code in one ${algorithm} iteration (top layer first):`);
for (const file of byLayer) console.log(`  ${String(unitOf(file)!.layer).padStart(2)}  ${file}`);
rmSync(work, { recursive: true, force: true });
