/**
 * Workers die with their launcher. `maxent-rlhf launch` starts each worker in its own process group
 * (to signal what it starts) and names itself in MAXENT_LAUNCHER_PID; a SIGKILL of the launcher
 * reaches no worker, so each worker checks once a second whether the launcher still runs, and exits
 * when it does not (the run lock is released by its exit hook; training resumes from the last
 * checkpoint). Its liveness, not parenthood, is checked: a worker command may start the trainer
 * through a shell or npx, whose parent the launcher is. Linux's PR_SET_PDEATHSIG does this in the kernel, but is not reachable from
 * Node; the check runs between native calls, i.e. within a step of the launcher's death.
 */
import { processAlive } from '../util/process-alive.ts';

export const LAUNCHER_PID_VARIABLE = 'MAXENT_LAUNCHER_PID';

/** Exit status of a worker whose launcher is gone (128 + SIGKILL, as if it had died with it). */
export const ORPHAN_EXIT_CODE = 137;

let timer: NodeJS.Timeout | null = null;

/** Starts the check when this process was started by `launch` (idempotent). */
export function exitWithLauncher(env: NodeJS.ProcessEnv = process.env, periodMs = 1000): void {
  const launcher = Number(env[LAUNCHER_PID_VARIABLE]);
  if (timer !== null || !Number.isInteger(launcher) || launcher <= 0) return;
  const check = () => {
    if (process.ppid === launcher || processAlive(launcher)) return;
    process.stderr.write(
      `the launcher (pid ${launcher}) is gone: this worker exits; rerun the command to resume from the last checkpoint\n`,
    );
    process.exit(ORPHAN_EXIT_CODE);
  };
  check();
  timer = setInterval(check, periodMs);
  timer.unref();
}
