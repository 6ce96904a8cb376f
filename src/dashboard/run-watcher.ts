/**
 * Polls a run folder (default every 500 ms: file sizes and run.json contents, no reliance on fs.watch,
 * which misses events on network and overlay file systems) and reports what changed: runs appearing,
 * changing status or disappearing, metric lines appended, metrics files rewritten.
 */
import { join } from 'node:path';
import { METRICS_FILE, type MetricLine } from '../runs/run-reader.ts';
import { MetricsTail } from './metrics-tail.ts';
import { listRuns, publicRun, type RunEntry } from './run-index.ts';

/** What a poll found. */
export type WatchEvent =
  | { type: 'run'; run: ReturnType<typeof publicRun> }
  | { type: 'metrics'; id: string; from: number; lines: MetricLine[] }
  | { type: 'reset'; id: string }
  | { type: 'removed'; id: string };

/** Default polling period. */
export const POLL_INTERVAL_MS = 500;

interface Watched {
  tail: MetricsTail;
  /** Serialised public fields, to notice a changed run.json (status, labels). */
  identity: string;
}

export class RunWatcher {
  private readonly watched = new Map<string, Watched>();
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;

  constructor(
    private readonly root: string,
    private readonly onEvent: (event: WatchEvent) => void,
  ) {}

  /** Whether metric lines found by a scan are reported (not during the first scan, before any client). */
  private collect = true;

  /**
   * Polls now, then every `intervalMs`. The first scan only indexes the metrics files: no client
   * can be listening yet, and a large log parsed into events would be held for nobody.
   */
  async start(intervalMs = POLL_INTERVAL_MS): Promise<void> {
    this.collect = false;
    try {
      await this.poll();
    } finally {
      this.collect = true;
    }
    this.timer = setInterval(() => void this.poll().catch(() => {}), intervalMs);
    this.timer.unref();
  }

  /** The tail following a run's metrics.jsonl (its line offsets serve the HTTP API), if watched. */
  tailOf(id: string): MetricsTail | undefined {
    return this.watched.get(id)?.tail;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One scan; concurrent calls share the scan in flight. */
  poll(): Promise<void> {
    this.inFlight ??= this.scan().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async scan(): Promise<void> {
    const runs = await listRuns(this.root);
    const seen = new Set(runs.map((r) => r.id));
    for (const id of [...this.watched.keys()].filter((id) => !seen.has(id))) {
      this.watched.delete(id);
      this.onEvent({ type: 'removed', id });
    }
    for (const run of runs) await this.scanRun(run);
  }

  private async scanRun(run: RunEntry): Promise<void> {
    const shown = publicRun(run);
    const identity = JSON.stringify(shown);
    let watched = this.watched.get(run.id);
    if (!watched || watched.identity !== identity) {
      watched ??= { tail: new MetricsTail(join(run.dir, METRICS_FILE), this.root), identity };
      watched.identity = identity;
      this.watched.set(run.id, watched);
      this.onEvent({ type: 'run', run: shown });
    }
    const chunk = await watched.tail.read({ collect: this.collect });
    if (chunk.reset) this.onEvent({ type: 'reset', id: run.id });
    if (chunk.lines.length > 0)
      this.onEvent({ type: 'metrics', id: run.id, from: chunk.from, lines: chunk.lines });
  }
}
