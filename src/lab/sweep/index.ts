/** Sweeps: a grid of runs over one base config, resumable run by run. */
export {
  expandGrid,
  formatGridNumber,
  type GridPoint,
  mergeConfig,
  PREFERENCE_LOSSES,
  type PreferenceLoss,
  REGULARIZERS,
  type Regularizer,
  type SweepConfig,
  SweepConfigSchema,
  type SweepGrid,
  SweepGridSchema,
} from './grid.ts';
export { actionFor, type PlannedRun, planSweep, type RunAction, type RunState, runStateOf } from './plan.ts';
export { runSweep, type SweepResult, type SweepRunOptions } from './run.ts';
export { lastValues, readSummaries, SUMMARY_COLUMNS, type SummaryInput, summaryTable } from './summary.ts';
