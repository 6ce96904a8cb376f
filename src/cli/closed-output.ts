/**
 * `maxent-rlhf sft … | head -2`: once the reader of stdout goes away, every further write fails with
 * EPIPE, which Node raises as an unhandled 'error' event that kills the process mid-training (a
 * `.partial` checkpoint left, the run marked running). The commands' output is progress for a
 * person, so training goes on without it: stdout's progress lines are dropped from then on (said
 * once on stderr), and nothing else changes — the run folder holds every metric.
 */

let installed = false;

/** Makes a closed stdout or stderr harmless for the rest of the process (idempotent). */
export function tolerateClosedOutput(): void {
  if (installed) return;
  installed = true;
  let noticed = false;
  const onError = (name: 'stdout' | 'stderr') => (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
    if (name === 'stdout' && !noticed) {
      noticed = true;
      process.stderr.write(
        `maxent-rlhf: stdout was closed (${e.code}); continuing without printing progress (see the run folder's metrics.jsonl)\n`,
      );
    }
  };
  process.stdout.on('error', onError('stdout'));
  process.stderr.on('error', onError('stderr'));
}
