/**
 * A long-lived bench/model.py process answering one JSON command per line, so that the model
 * benchmark can interleave PyTorch's measurements with ours (load on a shared machine drifts over
 * seconds; alternating short rounds exposes both sides to the same conditions).
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface, type Interface } from 'node:readline';
import { PYTHON } from './harness.ts';

/** glibc settings equivalent to the addon's retainFreedMemory (src/native/binding.ts). */
export const RETAIN_FREED_MEMORY_ENV = { MALLOC_MMAP_MAX_: '0', MALLOC_TRIM_THRESHOLD_: '2147483647' };

export class PythonServer {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;
  private readonly rl: Interface;
  private stderr = '';

  constructor(script: string, spec: unknown, env: NodeJS.ProcessEnv = process.env) {
    if (!existsSync(PYTHON))
      throw new Error(`${PYTHON} not found: install python3-torch (npm run setup does)`);
    this.proc = spawn(PYTHON, [script, JSON.stringify(spec)], { env });
    this.proc.stderr.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
    this.rl = createInterface({ input: this.proc.stdout });
    this.lines = this.rl[Symbol.asyncIterator]();
  }

  /** The next line the process printed, parsed (its greeting, or the answer to a command). */
  async read<T>(): Promise<T> {
    const next = await this.lines.next();
    if (next.done) throw new Error(`${PYTHON} exited:\n${this.stderr.slice(-4000)}`);
    return JSON.parse(next.value) as T;
  }

  async call<T>(cmd: Record<string, unknown>): Promise<T> {
    this.proc.stdin.write(`${JSON.stringify(cmd)}\n`);
    return this.read<T>();
  }

  close(): void {
    if (this.proc.exitCode === null) this.proc.stdin.end(`${JSON.stringify({ op: 'quit' })}\n`);
    this.rl.close();
  }
}
