/**
 * The built-in lab: a synthetic TL;DR task with a transparent gold judge (docs/lab-task.md), the
 * demo pipeline that reproduces the paper's comparison on it over seeds (intervals, claims, the
 * over-optimisation fits of Gao et al. 2023), and resumable sweeps.
 * @module lab
 */
export { DEMO_PRESETS, type DemoConfig, type DemoPreset } from '../lab/demo/config.ts';
export { type ParallelDemoOptions, runStagesInParallel, type StageTiming } from '../lab/demo/parallel.ts';
export {
  type DemoHeadroom,
  type DemoOptions,
  type DemoStage,
  demoConfig,
  demoHeadroom,
  demoStages,
  type OfflineArm,
  type OnlineGridRun,
  offlineArms,
  onlineGrid,
  runDemo,
  type StageContext,
} from '../lab/demo/pipeline.ts';
export * from '../lab/sweep/index.ts';
export * from '../lab/task/index.ts';
export * from '../report/claims.ts';
export * from '../report/overoptimisation-fit.ts';
export * from '../report/seeds.ts';
export * from '../report/stats.ts';
