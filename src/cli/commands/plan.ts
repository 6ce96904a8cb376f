/**
 * `maxent-rlhf plan --config FILE [--gpu-memory GiB] [--shape NAME] [--kind K] [--set k=v]… [--json]`:
 * the memory plan of a training config (src/trainers/memory-plan.ts) without loading any weights —
 * the bytes of each component at the step's peak phase, every phase's total, whether it fits the
 * GPU and the largest micro-batch and chunk sizes that do (docs/gpu.md).
 *
 * Model shapes come from each snapshot's config.json; a snapshot that is not there yet (the paper's
 * SFT model before SFT has run) takes `--shape`, else the Pythia size its path names
 * (runs/paper/pythia-1b/sft/model → pythia-1b).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../config/load.ts';
import { loadTrainConfig } from '../../experiments/train.ts';
import {
  CONFIG_FILE,
  isAdapterFolder,
  isLlamaNamedConfig,
  LLAMA_NAMED_CONFIGS,
  llamaNamedConfig,
  loadConfig,
  type ModelConfig,
  NAMED_CONFIGS,
  namedConfig,
} from '../../models/index.ts';
import { sharesReference } from '../../trainers/adapters/index.ts';
import {
  fmtBytes,
  GIB,
  gpuReserveBytes,
  largestFitting,
  type MemoryPlan,
  memoryPlan,
  offlinePlanSettings,
  onlinePlanSettings,
  type PlanModels,
} from '../../trainers/memory-plan.ts';
import { needsReference } from '../../trainers/offline/preference.ts';

/** Every named shape `--shape` accepts: the Pythia suite and the Llama family's. */
const SHAPES: string[] = [...NAMED_CONFIGS, ...Object.keys(LLAMA_NAMED_CONFIGS)];

type Kind = 'sft' | 'rm' | 'po' | 'rl';
const KINDS: readonly Kind[] = ['rl', 'po', 'rm', 'sft'];

export interface PlanCommandOptions {
  config: string;
  gpuMemory?: string;
  shape?: string;
  kind?: string;
  set?: string[];
  json?: boolean;
}

export interface PlanResult {
  kind: Kind;
  plan: MemoryPlan;
  gpuBytes: number;
  reserveBytes: number;
  fits: boolean;
  largest: Record<string, number | null>;
  shapes: Record<string, string>;
}

/** The config read as the first trainer kind whose schema accepts it (or `kind`). */
function readConfig(file: string, kind: string | undefined, sets: string[]) {
  if (kind !== undefined && !KINDS.includes(kind as Kind))
    throw new ConfigError(`--kind: expected one of ${KINDS.join(', ')}, got "${kind}"`);
  const errors: string[] = [];
  for (const k of kind ? [kind as Kind] : KINDS) {
    try {
      return { kind: k, config: loadTrainConfig(k, file, sets) };
    } catch (e) {
      if (kind || !(e instanceof ConfigError)) throw e;
      errors.push(`as ${k}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new ConfigError(
    `${file} is no trainer config (give --kind to see its errors):\n  ${errors.join('\n  ')}`,
  );
}

/** A named size in a path (pythia-1b-deduped, runs/paper/pythia-2.8b/sft/model, smollm-135m). */
function sizeInPath(path: string): string | null {
  const names = [...SHAPES].sort((a, b) => b.length - a.length);
  for (const part of path.split(/[\\/]/).reverse())
    for (const name of names) if (part === name || part.startsWith(`${name}-`)) return name;
  return null;
}

async function shapeOf(
  key: string,
  dir: string,
  shape: string | undefined,
): Promise<{ config: ModelConfig; source: string }> {
  if (existsSync(join(dir, CONFIG_FILE)))
    return { config: await loadConfig(dir), source: join(dir, CONFIG_FILE) };
  // A LoRA adapter folder: the shape of its base.
  if (isAdapterFolder(dir))
    return { config: await loadConfig(dir), source: `${dir} (LoRA adapter; its base's shape)` };
  const name = shape ?? sizeInPath(dir);
  if (!name)
    throw new ConfigError(
      `${key}: ${join(dir, CONFIG_FILE)} does not exist and the path names no known size; give --shape (one of ${SHAPES.join(', ')})`,
    );
  // The tokenizer's size only matters for the tiny test shapes; Pythia's embeddings are fixed.
  const config = isLlamaNamedConfig(name) ? llamaNamedConfig(name, 257) : namedConfig(name, 257);
  return { config, source: `${name} (${dir} not there yet)` };
}

export async function planConfig(o: PlanCommandOptions): Promise<PlanResult> {
  const gib = o.gpuMemory === undefined ? 80 : Number(o.gpuMemory);
  if (!(gib > 0))
    throw new ConfigError(`--gpu-memory: expected a positive number of GiB, got "${o.gpuMemory}"`);
  const { kind, config } = readConfig(o.config, o.kind, o.set ?? []);
  const shapes: Record<string, string> = {};
  const shape = async (key: string, dir: string) => {
    const s = await shapeOf(key, dir, o.shape);
    shapes[key] = s.source;
    return s.config;
  };

  let settings: Parameters<typeof memoryPlan>[0];
  let models: PlanModels;
  if (kind === 'rl') {
    const c = config as ReturnType<typeof loadTrainConfig<'rl'>>;
    const sharedReference = sharesReference(c, c.reference);
    models = {
      policy: await shape('model', c.model),
      reference: c.reference && !sharedReference ? await shape('reference', c.reference) : undefined,
      reward: await shape('reward', c.reward),
    };
    settings = onlinePlanSettings(c, {
      maxPromptTokens: c.maxPromptTokens,
      reference: !!c.reference,
      lora: c.lora,
      sharedReference,
    });
  } else {
    const c = config as ReturnType<typeof loadTrainConfig<'sft' | 'rm' | 'po'>>;
    models = { policy: await shape('model', c.model) };
    const reference = kind === 'po' && needsReference((c as ReturnType<typeof loadTrainConfig<'po'>>).loss);
    const po = c as ReturnType<typeof loadTrainConfig<'po'>>;
    settings = offlinePlanSettings(kind, c, {
      reference,
      sharedReference: reference && sharesReference(c, po.reference ?? c.model),
    });
  }
  const plan = memoryPlan(settings, models);
  const gpuBytes = gib * GIB;
  const reserveBytes = gpuReserveBytes(plan.peak.bytes);
  return {
    kind,
    plan,
    gpuBytes,
    reserveBytes,
    fits: plan.peak.bytes + reserveBytes <= gpuBytes,
    largest: largestFitting(settings, models, gpuBytes),
    shapes,
  };
}

/** The plan as the command prints it (Markdown tables, so docs/gpu.md can hold them verbatim). */
export function formatPlan(file: string, r: PlanResult): string {
  const s = r.plan.settings;
  const lines = [
    `plan for ${file} (${r.kind}, ${s.dtype}; ${s.batchRows} rows per ${r.kind === 'rl' ? 'rollout' : 'batch'}, ` +
      `micro-batch ${s.microBatchSize ?? s.minibatchRows}${r.kind === 'rl' ? `, generation chunk ${s.generationBatchSize ?? s.batchRows}, scoring chunk ${s.scoreBatchSize ?? s.batchRows}` : ''})`,
    ...Object.entries(r.shapes).map(([k, v]) => `  ${k} shape: ${v}`),
    '',
    `peak: ${r.plan.peak.name}`,
    '',
    '| component | bytes | |',
    '| --- | ---: | --- |',
    ...r.plan.peak.components.map((c) => `| ${c.name} | ${fmtBytes(c.bytes)} | ${c.note} |`),
    `| **peak** | **${fmtBytes(r.plan.peak.bytes)}** | |`,
    '',
    '| phase | bytes |',
    '| --- | ---: |',
    ...r.plan.phases.map((p) => `| ${p.name} | ${fmtBytes(p.bytes)} |`),
    '',
    `GPU ${fmtBytes(r.gpuBytes)}: peak ${fmtBytes(r.plan.peak.bytes)} + reserve ${fmtBytes(r.reserveBytes)} ` +
      `(CUDA context, allocator fragmentation) → ${r.fits ? 'fits' : 'DOES NOT FIT'}`,
    `largest sizes that fit (each with the others at 1): ${Object.entries(r.largest)
      .map(([k, v]) => `${k} ${v ?? 'none (even 1 does not fit)'}`)
      .join(', ')}`,
  ];
  return lines.join('\n');
}

export async function runPlanCommand(
  o: PlanCommandOptions,
  print = (l: string) => console.log(l),
): Promise<PlanResult> {
  const r = await planConfig(o);
  print(o.json ? JSON.stringify(r, null, 2) : formatPlan(o.config, r));
  return r;
}
