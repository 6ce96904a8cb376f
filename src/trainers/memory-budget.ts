/**
 * The memory plan (memory-plan.ts) as a check before a run loads anything: on the CPU, a config
 * whose planned peak exceeds the machine's memory is refused, naming the key that makes it so —
 * instead of growing until the kernel kills the process (`rl --set rloo.k=100000000` grew 0.4 GB/s).
 * On a GPU the budget is the device's, which `maxent-rlhf plan --gpu-memory` checks; not here.
 */
import { totalmem } from 'node:os';
import { ConfigError } from '../config/load.ts';
import { type GPTNeoXConfig, loadConfig } from '../models/index.ts';
import { resolveDevice } from '../tensor/index.ts';
import {
  fmtBytes,
  memoryPlan,
  type OfflinePlanConfig,
  offlinePlanSettings,
  onlinePlanSettings,
  type PlanKind,
  type PlanModels,
} from './memory-plan.ts';
import { needsReference } from './offline/preference.ts';
import type { OnlineTrainConfig } from './online/config.ts';

/** The keys that size a step, in the order they are blamed (the first that alone makes it fit). */
const SIZE_KEYS: Record<PlanKind, readonly string[]> = {
  sft: ['batchSize', 'microBatchSize'],
  rm: ['batchSize', 'microBatchSize'],
  po: ['batchSize', 'microBatchSize'],
  rl: [
    'promptsPerStep',
    'samplesPerPrompt',
    'rloo.k',
    'grpo.groupSize',
    'reinforcePlusPlus.samplesPerPrompt',
    'rollout.generationBatchSize',
    'rollout.scoreBatchSize',
    'microBatchSize',
  ],
};

type AnyConfig = Record<string, unknown> & { device: string };

/** Planned peak bytes of `config` on `models`. */
function peakOf(kind: PlanKind, config: AnyConfig, models: PlanModels) {
  const settings =
    kind === 'rl'
      ? onlinePlanSettings(config as unknown as OnlineTrainConfig, {
          maxPromptTokens: config.maxPromptTokens as number,
          reference: Boolean(config.reference),
        })
      : offlinePlanSettings(kind, config as unknown as OfflinePlanConfig, {
          reference: kind === 'po' && needsReference(config.loss as Parameters<typeof needsReference>[0]),
        });
  return memoryPlan(settings, models).peak;
}

function get(config: Record<string, unknown>, path: string): unknown {
  return path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], config);
}

function withValue(config: AnyConfig, path: string, value: number): AnyConfig {
  const [head, ...rest] = path.split('.');
  if (rest.length === 0) return { ...config, [head!]: value };
  return { ...config, [head!]: withValue(config[head!] as AnyConfig, rest.join('.'), value) };
}

async function shapes(kind: PlanKind, config: AnyConfig): Promise<PlanModels | null> {
  try {
    if (kind !== 'rl') return { policy: await loadConfig(config.model as string) };
    const load = (key: string) => loadConfig(config[key] as string);
    const reference: GPTNeoXConfig | undefined = config.reference ? await load('reference') : undefined;
    return { policy: await load('policy'), reference, reward: await load('reward') };
  } catch {
    return null; // a missing model is reported by the loader, with its own message
  }
}

/**
 * Refuses (ConfigError naming the key) a CPU run whose memory plan exceeds `budgetBytes` (default:
 * the machine's memory), before anything is loaded.
 */
export async function requireMemoryFits(
  kind: PlanKind,
  config: AnyConfig,
  budgetBytes: number = totalmem(),
): Promise<void> {
  if (resolveDevice(config.device).startsWith('cuda')) return;
  const models = await shapes(kind, config);
  if (models === null) return;
  const peak = peakOf(kind, config, models);
  if (peak.bytes <= budgetBytes) return;
  const blamed = SIZE_KEYS[kind].find((key) => {
    const v = get(config, key);
    return (
      typeof v === 'number' && v > 1 && peakOf(kind, withValue(config, key, 1), models).bytes <= budgetBytes
    );
  });
  const what = blamed
    ? `${blamed} ${get(config, blamed)}`
    : kind === 'rl'
      ? 'the rollout size (promptsPerStep × samples per prompt × maxPromptTokens + maxNewTokens)'
      : `batchSize ${config.batchSize} × maxTotalTokens ${config.maxTotalTokens}`;
  throw new ConfigError(
    `${what}: the memory plan of this run needs ${fmtBytes(peak.bytes)} at its peak (${peak.name}), ` +
      `more than this machine's ${fmtBytes(budgetBytes)}; lower it or set a smaller microBatchSize ` +
      '(`maxent-rlhf plan --config FILE` shows the plan)',
  );
}
