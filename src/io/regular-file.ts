/**
 * Opening files that may not be what their name says. A FIFO (or a character device) named like a
 * data file blocks `open` and `read` until a writer appears — forever, and on one of libuv's four
 * threads, so a few such reads stall every file operation of the process. Here a file is opened
 * non-blocking and checked with fstat on the open descriptor (no window between check and use);
 * anything but a regular file is refused, and whole-file reads have a time limit.
 */
import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';

/** Default time limit of {@link readRegularFile}. */
export const READ_TIMEOUT_MS = 5000;

export class NotRegularFileError extends Error {
  override name = 'NotRegularFileError';
  constructor(readonly path: string) {
    super(`${path} is not a regular file (a FIFO, device, socket or folder): refusing to read it`);
  }
}

/**
 * An open handle on the regular file `path` (symbolic links followed), or null when it does not
 * exist. Throws NotRegularFileError for anything else; the caller closes the handle.
 */
export async function openRegularFile(path: string): Promise<FileHandle | null> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    if ((await handle.stat()).isFile()) return handle;
  } catch (e) {
    await handle.close();
    throw e;
  }
  await handle.close();
  throw new NotRegularFileError(path);
}

/**
 * The bytes of the regular file `path`, or null when it does not exist; throws NotRegularFileError
 * for anything else, and an error naming the file when the read takes longer than `timeoutMs`.
 */
export async function readRegularFile(path: string, timeoutMs = READ_TIMEOUT_MS): Promise<Buffer | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`reading ${path} took longer than ${timeoutMs} ms: giving up`)),
      timeoutMs,
    );
  });
  const read = (async () => {
    const handle = await openRegularFile(path);
    if (handle === null) return null;
    try {
      return await handle.readFile();
    } finally {
      await handle.close();
    }
  })();
  try {
    return await Promise.race([read, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
