/**
 * Which runs of a sweep still need work: a run folder whose run.json says `done` is skipped; one
 * that was interrupted (`running`, or `interrupted` by a signal) or failed is resumed (the trainers restart from its newest valid
 * checkpoint); one without run.json is started.
 */
import { join } from 'node:path';
import { RunDir } from '../../runs/run-dir.ts';
import type { GridPoint } from './grid.ts';

export type RunState = 'done' | 'running' | 'failed' | 'interrupted' | 'new';
export type RunAction = 'skip' | 'resume' | 'start';

export interface PlannedRun extends GridPoint {
  dir: string;
  state: RunState;
  action: RunAction;
}

export function actionFor(state: RunState): RunAction {
  return state === 'done' ? 'skip' : state === 'new' ? 'start' : 'resume';
}

/** Pure: `stateOf` tells the state of a run folder (runStateOf reads it from disk). */
export function planSweep(
  points: GridPoint[],
  root: string,
  stateOf: (dir: string) => RunState,
): PlannedRun[] {
  return points.map((p) => {
    const dir = join(root, p.name);
    const state = stateOf(dir);
    return { ...p, dir, state, action: actionFor(state) };
  });
}

/** The state recorded in a run folder's run.json ('new' when there is none or it is unreadable). */
export function runStateOf(dir: string): RunState {
  try {
    const status = RunDir.readInfo(dir)?.status;
    return status === 'done' || status === 'running' || status === 'failed' || status === 'interrupted'
      ? status
      : 'new';
  } catch {
    return 'new';
  }
}
