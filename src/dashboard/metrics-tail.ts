/**
 * Incremental reader of a growing `metrics.jsonl`: each `read()` returns only the lines appended since
 * the previous one, numbered exactly as `readMetrics` numbers them (so `from` indices agree with the
 * HTTP API). A torn final line waits for its newline; a truncated or replaced file starts over.
 * Given the dashboard's root, it follows the file only while it resolves inside the root to a
 * regular file (the rule of /files/, safe-path.ts); otherwise it reads as missing.
 */
import type { FileHandle } from 'node:fs/promises';
import { relative } from 'node:path';
import { openRegularFile } from '../io/regular-file.ts';
import { type MetricLine, parseMetricLine } from '../runs/run-reader.ts';
import { resolveWithin } from './safe-path.ts';

/** Lines appended since the previous read; `reset` when the file was truncated or replaced. */
export interface TailChunk {
  reset: boolean;
  /** Index of the first returned line among all lines of the file. */
  from: number;
  lines: MetricLine[];
}

const NEWLINE = 0x0a;

export class MetricsTail {
  /** Bytes consumed so far (complete lines, or a final line that parsed). */
  private offset = 0;
  /** Valid lines returned so far. */
  private count = 0;
  /** Inode of the file being followed, to notice a rewrite that replaced it. */
  private inode: number | null = null;

  constructor(
    readonly file: string,
    /** The served folder the file must stay within (symbolic links included). */
    private readonly root?: string,
  ) {}

  /** Number of lines returned so far. */
  get lineCount(): number {
    return this.count;
  }

  /** Reads whatever was appended since the last call (no lines when the file is missing). */
  async read(): Promise<TailChunk> {
    const handle = await this.open();
    if (handle === null) return { reset: false, from: this.count, lines: [] };
    try {
      return await this.readFrom(handle);
    } finally {
      await handle.close();
    }
  }

  /** A handle on the file when it is a regular file (inside the root, when one is given). */
  private async open(): Promise<FileHandle | null> {
    let path = this.file;
    if (this.root !== undefined) {
      const resolved = await resolveWithin(this.root, relative(this.root, this.file));
      if (!resolved.ok) return null;
      path = resolved.path;
    }
    return openRegularFile(path).catch(() => null);
  }

  private async readFrom(handle: FileHandle): Promise<TailChunk> {
    const stats = await handle.stat();
    const reset = (this.inode !== null && stats.ino !== this.inode) || stats.size < this.offset;
    if (reset) {
      this.offset = 0;
      this.count = 0;
    }
    this.inode = stats.ino;
    const from = this.count;
    if (stats.size === this.offset) return { reset, from, lines: [] };
    const buffer = Buffer.alloc(stats.size - this.offset);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.offset);
    const lines = this.consume(buffer.subarray(0, bytesRead));
    return { reset, from, lines };
  }

  /** Parses the complete lines of `bytes` (and a final one that parses), advancing the offset past them. */
  private consume(bytes: Buffer): MetricLine[] {
    const lines: MetricLine[] = [];
    let start = 0;
    for (let end = bytes.indexOf(NEWLINE); end !== -1; end = bytes.indexOf(NEWLINE, start)) {
      this.accept(bytes.subarray(start, end).toString('utf8'), lines);
      start = end + 1;
    }
    let consumed = start;
    const rest = bytes.subarray(start).toString('utf8');
    // A flat JSON object has no strict prefix that parses, so a parsing final line is complete.
    if (rest.trim() !== '' && parseMetricLine(rest) !== null) {
      this.accept(rest, lines);
      consumed = bytes.length;
    }
    this.offset += consumed;
    return lines;
  }

  private accept(raw: string, into: MetricLine[]): void {
    if (raw.trim() === '') return;
    const line = parseMetricLine(raw);
    if (line === null) return;
    into.push(line);
    this.count++;
  }
}
