/**
 * Progress of a long command: on a terminal, one redrawn bar (cli-progress) with the step rate, the
 * ETA and the key metrics; otherwise (a file, a pipe, `launch`'s rank-prefixed output) one plain
 * line per step with the same numbers, so logs stay greppable.
 */
import cliProgress from 'cli-progress';

export interface ProgressOptions {
  /** Draw a bar (default: the stream is a terminal). */
  tty?: boolean;
  /** Where the bar is drawn (default process.stdout). */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Plain lines (default: console.log). */
  print?: (line: string) => void;
  /** Milliseconds since an arbitrary origin (tests pass a fake clock). */
  now?: () => number;
  /** What is counted (default 'step'): `bon` counts prompts. */
  unit?: string;
}

export interface StepProgress {
  /**
   * Step `step` is done, with its metrics (already formatted by the caller); `total` when the run
   * knows better than the caller did (a config with epochs learns its steps from the data).
   */
  update(step: number, shown: string, total?: number): void;
  stop(): void;
}

/** Steps per second over the last few steps (a rate that follows a run that speeds up or slows down). */
const RATE_WINDOW = 10;

/** `1:02:03`, `4:05`, or `—` while unknown. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${r}` : `${m}:${r}`;
}

/** `2.50 steps/s`, or `12.0 s/step` for slow steps. */
export function formatRate(perSecond: number, unit = 'step'): string {
  if (!Number.isFinite(perSecond) || perSecond <= 0) return `— ${unit}s/s`;
  return perSecond >= 1 ? `${perSecond.toFixed(2)} ${unit}s/s` : `${(1 / perSecond).toFixed(1)} s/${unit}`;
}

/**
 * The progress of `total` steps labelled `label` (`sft`, `rl`, …). The rate is measured from the
 * first update this process sees, so a resumed run's ETA counts only the steps still to run.
 */
export function stepProgress(label: string, initialTotal: number, o: ProgressOptions = {}): StepProgress {
  let total = initialTotal;
  const stream = o.stream ?? process.stdout;
  const tty = o.tty ?? Boolean(stream.isTTY);
  const now = o.now ?? (() => performance.now());
  const print = o.print ?? ((line: string) => console.log(line));
  const unit = o.unit ?? 'step';
  const started = now();
  const seen: { step: number; at: number }[] = [];
  const timing = (step: number) => {
    const at = now();
    seen.push({ step, at });
    if (seen.length > RATE_WINDOW + 1) seen.shift();
    const first = seen.length > 1 ? seen[0]! : { step: step - 1, at: started };
    const rate = (step - first.step) / ((at - first.at) / 1000);
    return { rate: formatRate(rate, unit), eta: formatDuration((total - step) / rate) };
  };
  if (!tty)
    return {
      update(step, shown, newTotal) {
        total = newTotal ?? total;
        const t = timing(step);
        print(
          [`${label} ${unit} ${step}/${total}`, shown, t.rate, `ETA ${t.eta}`].filter(Boolean).join('  '),
        );
      },
      stop() {},
    };
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} {bar} {value}/{total} | {rate} | ETA {etaText} | {shown}`,
      stream,
      hideCursor: true,
      barsize: 24,
      // Redraw at each update, not on a timer: a step takes seconds and nothing else changes between.
      fps: 1,
      linewrap: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let begun = false;
  return {
    update(step, shown, newTotal) {
      const changed = newTotal !== undefined && newTotal !== total;
      total = newTotal ?? total;
      const t = timing(step);
      const payload = { rate: t.rate, etaText: t.eta, shown };
      if (!begun) {
        bar.start(total, step, payload);
        begun = true;
      } else {
        if (changed) bar.setTotal(total);
        bar.update(step, payload);
      }
      bar.render();
    },
    stop() {
      if (begun) bar.stop();
    },
  };
}
