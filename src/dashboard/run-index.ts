/**
 * The runs a dashboard shows, each with a stable id: its folder's path relative to the dashboard's
 * run folder (POSIX separators), or `~` for the run folder itself. Ids are only ever looked up in
 * this index, never joined onto a path, so an id cannot name anything outside the run folder.
 */
import { relative, sep } from 'node:path';
import { findRuns, type RunIdentity, readRunIdentity } from '../runs/run-reader.ts';

/** Id of a run that is the dashboard's run folder itself. */
export const ROOT_RUN_ID = '~';

/** One run as the dashboard lists it. */
export interface RunEntry extends RunIdentity {
  id: string;
  dir: string;
}

/** The id of the run folder `dir` under `root`. */
export function runIdOf(root: string, dir: string): string {
  const rel = relative(root, dir);
  return rel === '' ? ROOT_RUN_ID : rel.split(sep).join('/');
}

/** Every run under `root` with its id and `run.json` identity, sorted by id. */
export async function listRuns(root: string): Promise<RunEntry[]> {
  const dirs = await findRuns(root);
  const entries = await Promise.all(
    dirs.map(async (dir) => ({ id: runIdOf(root, dir), dir, ...(await readRunIdentity(dir)) })),
  );
  return entries.sort((a, b) => a.id.localeCompare(b.id));
}

/** The run with this id, or null. */
export async function findRunById(root: string, id: string): Promise<RunEntry | null> {
  return (await listRuns(root)).find((run) => run.id === id) ?? null;
}

/** The fields of a run the HTTP API exposes (no absolute paths). */
export function publicRun(run: RunEntry): Omit<RunEntry, 'dir'> {
  const { dir: _dir, ...shown } = run;
  return shown;
}
