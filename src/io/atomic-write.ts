/**
 * Writing a file so that readers see either the old content or the complete new one: the bytes go to
 * `PATH.tmp-<pid>`, are fsynced, renamed onto PATH, and the folder is fsynced so the rename is durable.
 * Two forms of one protocol: `writeFileAtomically` streams (large weight files, async), and
 * `writeFileAtomic` writes bytes already in memory (run files, checkpoints' manifests, sync).
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Largest single write handed to the OS (libuv caps one request below 2 GiB). */
const MAX_WRITE_CHUNK = 1 << 30;

/** Appends bytes to the file under construction. */
export interface ByteSink {
  write(bytes: Uint8Array): Promise<void>;
}

/** The temporary name a write to `path` uses while in progress. */
export function temporaryPathFor(path: string): string {
  return `${path}.tmp-${process.pid}`;
}

/**
 * Runs `produce` against a sink on the temporary file, then moves it onto `path`. If anything fails the
 * temporary file is removed, an existing `path` is left untouched, and the error is rethrown.
 */
export async function writeFileAtomically(
  path: string,
  produce: (sink: ByteSink) => Promise<void>,
): Promise<void> {
  const temporary = temporaryPathFor(path);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temporary, 'w');
    await produce(sinkOn(handle));
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temporary, path);
  } catch (e) {
    await handle?.close().catch(() => undefined);
    await rm(temporary, { force: true }).catch(() => undefined);
    throw e;
  }
  await fsyncFolder(dirname(path));
}

function sinkOn(handle: FileHandle): ByteSink {
  let position = 0;
  return {
    async write(bytes) {
      await writeFully(handle, bytes, position);
      position += bytes.length;
    },
  };
}

async function writeFully(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const chunk = Math.min(bytes.length - done, MAX_WRITE_CHUNK);
    const { bytesWritten } = await handle.write(bytes, done, chunk, position + done);
    if (bytesWritten <= 0) throw new Error(`write made no progress at byte ${position + done}`);
    done += bytesWritten;
  }
}

/** Makes a rename in `folder` durable; filesystems that cannot fsync a folder are tolerated. */
async function fsyncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EISDIR') throw e;
  } finally {
    await handle.close();
  }
}

// ---- synchronous form ----

/** fsync a folder so a rename inside it is durable. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes `data` to `path` atomically: readers see the old file or the whole new one, never a mix. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = temporaryPathFor(path);
  try {
    const fd = openSync(tmp, 'w');
    try {
      writeFullySync(fd, typeof data === 'string' ? Buffer.from(data) : data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    fsyncDir(dirname(path));
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new Error(`cannot write ${path}: ${(e as Error).message}`);
  }
}

/** write(2) may write less than asked (a nearly full disk): loop until every byte is written. */
function writeFullySync(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) {
    const n = writeSync(fd, bytes, done, bytes.length - done);
    if (n <= 0) throw new Error(`write made no progress at byte ${done} of ${bytes.length}`);
    done += n;
  }
}

/** sha256 of a file, read in chunks (a model's weights may exceed the 2 GiB of one Buffer). */
export function sha256File(path: string): string {
  const hash = createHash('sha256');
  const chunk = Buffer.allocUnsafe(1 << 22);
  const fd = openSync(path, 'r');
  try {
    for (let n = readSync(fd, chunk); n > 0; n = readSync(fd, chunk)) hash.update(chunk.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}
