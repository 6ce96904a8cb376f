/**
 * `maxent-rlhf sweep --config SWEEP.yaml [--set k=v]… [--dry-run]`: every point of a grid over an
 * rl or po base config, one run folder each under out/<name>/. Finished runs are skipped,
 * interrupted ones resume from their checkpoints; a table of final metrics ends the sweep.
 * Every run's config is validated before the first one starts.
 */
import { dirname, join, resolve } from 'node:path';
import { loadConfigFile, type OverrideSource, parseOverrides } from '../../config/load.ts';
import {
  expandGrid,
  mergeConfig,
  planSweep,
  runStateOf,
  runSweep,
  type SweepConfig,
  SweepConfigSchema,
} from '../../lab/sweep/index.ts';
import { regularizerKind } from '../../trainers/online/config.ts';
import { TRAIN_SCHEMAS, type TrainConfig } from '../train-configs.ts';
import { runTrain, type TrainIO } from './train.ts';

export interface SweepCommandOptions {
  config: string;
  set?: string[];
  dryRun?: boolean;
}

const defaultIO: TrainIO = { print: (l) => console.log(l), log: (m) => console.error(m) };

export async function runSweepCommand(opts: SweepCommandOptions, io: TrainIO = defaultIO): Promise<void> {
  const sources: OverrideSource[] = [];
  const overrides = parseOverrides(opts.set ?? [], sources);
  const spec: SweepConfig = loadConfigFile(SweepConfigSchema, opts.config, overrides, sources);
  const basePath = resolve(dirname(opts.config), spec.base);
  const schema = TRAIN_SCHEMAS[spec.kind];
  const base = loadConfigFile(schema, basePath, spec.set) as TrainConfig<'rl'> | TrainConfig<'po'>;
  const points = expandGrid(
    spec,
    'regularizer' in base ? { regularizer: regularizerKind(base.regularizer) } : { loss: base.loss },
  );
  const root = join(spec.out, spec.name);
  const plan = planSweep(points, root, runStateOf);
  // Validate every run's config up front: a typo must not surface hours into the sweep.
  const configs = new Map(
    plan.map((p) => [
      p.name,
      loadConfigFile(schema, basePath, mergeConfig(spec.set, p.overrides, { out: p.dir })),
    ]),
  );
  const done = plan.filter((p) => p.action === 'skip').length;
  io.print(
    `sweep ${spec.name} (${spec.kind}, base ${basePath}): ${plan.length} runs under ${root}` +
      (done ? `, ${done} already done` : ''),
  );
  if (opts.dryRun) {
    for (const p of plan) io.print(`  ${p.name}: ${p.action}  ${JSON.stringify(p.overrides)}`);
    return;
  }
  const result = await runSweep({
    kind: spec.kind,
    plan,
    print: io.print,
    runPoint: async (p) => {
      await runTrain(spec.kind, configs.get(p.name) as TrainConfig<'rl'>, { name: p.name, io });
    },
  });
  if (result.errors.length)
    throw new Error(
      `${result.errors.length} of ${plan.length} runs failed: ${result.errors.map((e) => e.name).join(', ')} ` +
        '(rerun the sweep to resume them)',
    );
}
