/**
 * Incremental reader of a growing `metrics.jsonl`: each `read()` returns only the lines appended since
 * the previous one, numbered exactly as `readMetrics` numbers them (so `from` indices agree with the
 * HTTP API). A torn final line waits for its newline; a truncated or replaced file starts over.
 * Given the dashboard's root, it follows the file only while it resolves inside the root to a
 * regular file (the rule of /files/, safe-path.ts); otherwise it reads as missing.
 *
 * Memory stays bounded by the file's line count, not its size: the file is read in chunks of
 * READ_CHUNK_BYTES, and only the byte offset where each line starts is kept, so that
 * {@link MetricsTail.linesFrom} (the HTTP API's `from=N`) reads from line N's offset instead of
 * parsing the whole file per request.
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
/** Bytes read per chunk (a longer line is read whole, by growing the chunk). */
const READ_CHUNK_BYTES = 4 * 1024 * 1024;

export class MetricsTail {
  /** Bytes consumed so far (complete lines, or a final line that parsed). */
  private offset = 0;
  /** Valid lines returned so far. */
  private count = 0;
  /** Inode of the file being followed, to notice a rewrite that replaced it. */
  private inode: number | null = null;
  /** Byte offset of the start of each valid line returned so far (index = line number). */
  private lineStarts: number[] = [];
  /** Whether bytes past the consumed offset (a torn last line) were seen by the last read. */
  private tornTail = false;

  constructor(
    readonly file: string,
    /** The served folder the file must stay within (symbolic links included). */
    private readonly root?: string,
  ) {}

  /** Number of lines returned so far. */
  get lineCount(): number {
    return this.count;
  }

  /** Whether the file ended in an incomplete line at the last read. */
  get torn(): boolean {
    return this.tornTail;
  }

  /**
   * Reads whatever was appended since the last call (no lines when the file is missing). With
   * `collect: false` the lines are counted and indexed but not returned (a first scan that no
   * client is waiting for).
   */
  async read(o: { collect?: boolean } = {}): Promise<TailChunk> {
    const handle = await this.open();
    if (handle === null) return { reset: false, from: this.count, lines: [] };
    try {
      return await this.readFrom(handle, o.collect ?? true);
    } finally {
      await handle.close();
    }
  }

  /**
   * Lines `from`.. of those read so far, parsed again from their byte offsets (the file as last
   * read; call {@link read} first to catch up).
   */
  async linesFrom(from: number): Promise<MetricLine[]> {
    if (from >= this.count) return [];
    const handle = await this.open();
    if (handle === null) return [];
    try {
      // The response holds every line from `from` on anyway: one read of exactly those bytes.
      const start = this.lineStarts[from]!;
      const buffer = Buffer.alloc(this.offset - start);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
      const out: MetricLine[] = [];
      for (const raw of buffer.subarray(0, bytesRead).toString('utf8').split('\n')) {
        if (raw.trim() === '') continue;
        const line = parseMetricLine(raw);
        if (line !== null) out.push(line);
      }
      return out.slice(0, this.count - from);
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

  private async readFrom(handle: FileHandle, collect: boolean): Promise<TailChunk> {
    const stats = await handle.stat();
    const reset = (this.inode !== null && stats.ino !== this.inode) || stats.size < this.offset;
    if (reset) {
      this.offset = 0;
      this.count = 0;
      this.lineStarts = [];
    }
    this.inode = stats.ino;
    const from = this.count;
    const lines: MetricLine[] = [];
    let chunk = READ_CHUNK_BYTES;
    while (this.offset < stats.size) {
      const length = Math.min(chunk, stats.size - this.offset);
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, this.offset);
      if (bytesRead === 0) break;
      const atEnd = this.offset + bytesRead >= stats.size;
      const consumed = this.consume(buffer.subarray(0, bytesRead), atEnd, collect ? lines : null);
      if (consumed === 0) {
        if (atEnd) break; // a torn last line: wait for its newline
        chunk *= 2; // one line longer than the chunk
      }
    }
    this.tornTail = this.offset < stats.size;
    return { reset, from, lines };
  }

  /**
   * Parses the complete lines of `bytes` (and, at the end of the file, a final one that parses),
   * advancing the offset past them; returns the bytes consumed.
   */
  private consume(bytes: Buffer, atEnd: boolean, into: MetricLine[] | null): number {
    let start = 0;
    for (let end = bytes.indexOf(NEWLINE); end !== -1; end = bytes.indexOf(NEWLINE, start)) {
      this.accept(bytes.subarray(start, end).toString('utf8'), this.offset + start, into);
      start = end + 1;
    }
    let consumed = start;
    const rest = bytes.subarray(start).toString('utf8');
    // A flat JSON object has no strict prefix that parses, so a parsing final line is complete.
    if (atEnd && rest.trim() !== '' && parseMetricLine(rest) !== null) {
      this.accept(rest, this.offset + start, into);
      consumed = bytes.length;
    }
    this.offset += consumed;
    return consumed;
  }

  private accept(raw: string, at: number, into: MetricLine[] | null): void {
    if (raw.trim() === '') return;
    const line = parseMetricLine(raw);
    if (line === null) return;
    into?.push(line);
    this.lineStarts.push(at);
    this.count++;
  }
}
