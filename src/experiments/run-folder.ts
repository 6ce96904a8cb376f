/** Small pieces of the training commands: data splits, progress lines, run-folder housekeeping. */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Loaded, type LoadOptions, splitTrainEval } from '../data/index.ts';
import { CheckpointManager } from '../runs/checkpoint.ts';
import { MODEL_MANIFEST, modelDirProblem } from '../runs/model-dir.ts';
import { RUN_FOLDER_ENTRIES, RunDir } from '../runs/run-dir.ts';
import type { SftConfig } from '../trainers/offline/config.ts';
import type { TrainKind } from './configs.ts';

/** The `data` section of the offline training configs. */
export type DataSection = SftConfig['data'];

/**
 * Training and held-out examples: `data.eval` when given, else a seeded `evalFraction` of the
 * (at most `limit`) training rows. Rows over the token limits, counted with `countTokens`, are bad
 * rows handled by `onBadRow`.
 */
export async function loadSplits<E>(
  load: (path: string | readonly string[], opts: LoadOptions) => Promise<Loaded<E>>,
  data: DataSection,
  limits: { maxPromptTokens: number; maxTotalTokens?: number },
  countTokens: (text: string) => number,
  seed: number,
  log: (msg: string) => void,
): Promise<{ train: E[]; eval: E[] }> {
  const opts: LoadOptions = { onBadRow: data.onBadRow, countTokens, ...limits, log, fields: data.fields };
  const train = (await load(data.train, { ...opts, limit: data.limit })).examples;
  if (data.eval !== undefined) return { train, eval: (await load(data.eval, opts)).examples };
  return splitTrainEval(train, data.evalFraction, seed);
}

/** Metrics shown on each progress line, per command (eval/* metrics are added when present). */
const SHOWN: Record<TrainKind, string[]> = {
  sft: ['loss'],
  rm: ['loss', 'accuracy'],
  po: ['loss', 'rewards/accuracies', 'rewards/margins'],
  rl: ['objective/scores', 'objective/rlhf_reward', 'objective/kl', 'objective/entropy', 'policy/kl_prev'],
};

export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(2) : v.toFixed(4);
}

/** The key metrics of a step: `loss 2.3456  eval/loss 2.1000  lr 1.00e-4`. */
export function progressMetrics(kind: TrainKind, m: Record<string, number>): string {
  const keys = [...SHOWN[kind], ...Object.keys(m).filter((k) => k.startsWith('eval/')), 'lr'];
  return keys
    .filter((k) => m[k] !== undefined)
    .map((k) => `${k} ${formatNumber(m[k]!)}`)
    .join('  ');
}

/** `sft step 3/10  loss 2.3456  eval/loss 2.1000  lr 1.00e-4`. */
export function progressLine(
  kind: TrainKind,
  step: number,
  steps: number,
  m: Record<string, number>,
): string {
  return [`${kind} step ${step}/${steps}`, progressMetrics(kind, m)].filter(Boolean).join('  ');
}

export { RUN_FOLDER_ENTRIES };

/** Deletes a previous run's checkpoints, metrics, model and caches; returns what was removed. */
export function clearRunFolder(dir: string): string[] {
  const removed: string[] = [];
  for (const entry of RUN_FOLDER_ENTRIES) {
    const path = join(dir, entry);
    if (!existsSync(path)) continue;
    rmSync(path, { recursive: true, force: true });
    removed.push(entry);
  }
  return removed;
}

/** Top-level config keys whose values differ from the config a run folder was started with. */
export function changedKeys(dir: string, config: Record<string, unknown>): string[] | null {
  const info = RunDir.readInfo(dir);
  if (!info || typeof info.config !== 'object' || info.config === null) return null;
  const before = info.config as Record<string, unknown>;
  const keys = new Set([...Object.keys(before), ...Object.keys(config)]);
  return [...keys].filter((k) => JSON.stringify(before[k]) !== JSON.stringify(config[k])).sort();
}

/**
 * Whether a finished run's model/ matches its manifest. When it does not and the checkpoint of the
 * final step exists, says so and returns false: resuming from that checkpoint runs no step and
 * writes model/ again. Without that checkpoint it is an error (only --fresh can remake the model),
 * except for a model/ without any manifest (written before manifests were), which is accepted.
 */
export function finishedModelIntact(dir: string, steps: number, log: (msg: string) => void): boolean {
  const modelDir = join(dir, 'model');
  const problem = modelDirProblem(modelDir);
  if (problem === null) return true;
  const latest = new CheckpointManager(join(dir, 'checkpoints'), 1, () => {}).latestValidName();
  const finalStep = latest === null ? null : Number(latest.slice('step-'.length));
  if (finalStep === steps) {
    log(`${dir} finished, but ${problem}: rebuilding model/ from its final checkpoint ${latest}`);
    return false;
  }
  if (existsSync(join(modelDir, 'config.json')) && !existsSync(join(modelDir, MODEL_MANIFEST))) {
    log(`note: ${modelDir} has no ${MODEL_MANIFEST} (written by an earlier version): it cannot be verified`);
    return true;
  }
  throw new Error(
    `${dir} finished, but ${problem}, and the checkpoint of its final step ${steps} is gone: ` +
      'pass --fresh to train it again',
  );
}
