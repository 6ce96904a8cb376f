/**
 * A graceful stop on SIGINT, SIGTERM and SIGHUP while a training session runs: the first signal asks
 * the session to stop at the next step boundary — it writes a checkpoint, marks run.json
 * `interrupted`, releases the run lock and the command exits with 128 + the signal's number — and
 * a second signal exits at once (the lock is still released by the exit hook of run-lock.ts; the
 * last checkpoint stands). Outside a session the signals keep Node's default (immediate exit).
 *
 * A training step is one long synchronous native call, so a signal is noticed when the step ends:
 * the session yields to the event loop at each boundary ({@link nextTurn}) to let it arrive.
 */

export const SIGNAL_NUMBERS: Readonly<Partial<Record<NodeJS.Signals, number>>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGTERM: 15,
};
const STOP_SIGNALS = Object.keys(SIGNAL_NUMBERS) as NodeJS.Signals[];

/** Exit status of a process stopped by `signal`, as a shell reports it. */
export function exitCodeOf(signal: NodeJS.Signals): number {
  return 128 + (SIGNAL_NUMBERS[signal] ?? 0);
}

/** Thrown by a session that stopped on a signal, after its checkpoint and run.json are written. */
export class RunInterruptedError extends Error {
  override name = 'RunInterruptedError';
  constructor(
    readonly signal: NodeJS.Signals,
    readonly step: number,
    readonly checkpoint: string | null,
  ) {
    super(
      `${signal}: stopped after step ${step}` +
        (checkpoint ? `; checkpoint ${checkpoint} written` : '') +
        '; run the same command again to resume',
    );
  }
  get exitCode(): number {
    return exitCodeOf(this.signal);
  }
}

let watchers = 0;
let requested: NodeJS.Signals | null = null;

function onSignal(signal: NodeJS.Signals): void {
  if (requested !== null) {
    process.stderr.write(`${signal} again: exiting now; the last checkpoint stands\n`);
    process.exit(exitCodeOf(signal));
  }
  requested = signal;
  process.stderr.write(
    `${signal}: stopping after the current step (a checkpoint is written); send it again to exit at once\n`,
  );
}

/** While held, the stop signals are caught; `requested()` is the first one received, if any. */
export interface StopWatch {
  requested(): NodeJS.Signals | null;
  dispose(): void;
}

export function watchStopSignals(): StopWatch {
  if (watchers++ === 0) {
    requested = null;
    for (const s of STOP_SIGNALS) process.on(s, onSignal);
  }
  let disposed = false;
  return {
    requested: () => requested,
    dispose() {
      if (disposed) return;
      disposed = true;
      if (--watchers === 0) for (const s of STOP_SIGNALS) process.off(s, onSignal);
    },
  };
}

/** Lets pending signal (and other) callbacks run: one turn of the event loop. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
