/**
 * `maxent-rlhf sweep --config SWEEP.yaml [--set k=v]… [--dry-run]`: every point of a grid over an
 * rl or po base config, one run folder each under out/<name>/. Finished runs are skipped,
 * interrupted ones resume from their checkpoints; a table of final metrics ends the sweep.
 * Every run's config is validated before the first one starts.
 */
import { dirname, join, resolve } from 'node:path';
import { loadConfigFile, type OverrideSource, parseOverrides } from '../../config/load.ts';
import { initProcessGroup, type ProcessGroup } from '../../distributed/index.ts';
import { TRAIN_SCHEMAS, type TrainConfig } from '../../experiments/configs.ts';
import { type TrainIO, trainConfig } from '../../experiments/train.ts';
import {
  expandGrid,
  mergeConfig,
  type PlannedRun,
  planSweep,
  runStateOf,
  runSweep,
  type SweepConfig,
  SweepConfigSchema,
} from '../../lab/sweep/index.ts';
import { DataParallel } from '../../trainers/common/data-parallel.ts';
import { regularizerKind } from '../../trainers/online/config.ts';

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
  // Launched on several ranks, every run is data-parallel and rank 0's view of the folders decides.
  const group = await initProcessGroup();
  try {
    const dp = new DataParallel(group);
    const states = await dp.broadcastJson(dp.isMain ? points.map((p) => runStateOf(join(root, p.name))) : []);
    const stateOf = new Map(points.map((p, i) => [join(root, p.name), states[i]!]));
    const plan = planSweep(points, root, (dir) => stateOf.get(dir)!);
    const quiet: TrainIO = { print: () => {}, log: io.log };
    await runPlan(spec, basePath, plan, opts.dryRun ?? false, dp.isMain ? io : quiet, group);
  } finally {
    await group.destroy();
  }
}

async function runPlan(
  spec: SweepConfig,
  basePath: string,
  plan: PlannedRun[],
  dryRun: boolean,
  io: TrainIO,
  group: ProcessGroup,
): Promise<void> {
  const schema = TRAIN_SCHEMAS[spec.kind];
  const root = join(spec.out, spec.name);
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
  if (dryRun) {
    for (const p of plan) io.print(`  ${p.name}: ${p.action}  ${JSON.stringify(p.overrides)}`);
    return;
  }
  const result = await runSweep({
    kind: spec.kind,
    plan,
    print: io.print,
    stopOnError: group.worldSize > 1,
    runPoint: async (p) => {
      await trainConfig(spec.kind, configs.get(p.name) as TrainConfig<'rl'>, { name: p.name, io, group });
    },
  });
  if (result.errors.length)
    throw new Error(
      `${result.errors.length} of ${plan.length} runs failed: ${result.errors.map((e) => e.name).join(', ')} ` +
        '(rerun the sweep to resume them)',
    );
}
