/**
 * `mkdir -p` that always ends: Node's recursive mkdir loops forever on a path such as
 * /proc/self/x (the kernel answers ENOENT for a child of an existing folder, and Node retries the
 * parent). Here each missing folder is created once, from the top, and any failure is an error
 * naming the folder; an existing non-folder on the way is named too.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export function makeDirs(dir: string): void {
  const missing: string[] = [];
  for (let cur = resolve(dir); ; cur = dirname(cur)) {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(cur).isDirectory();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      missing.push(cur);
      if (dirname(cur) === cur) break;
      continue;
    }
    if (!isDirectory) throw new Error(`${cur} exists and is not a folder`);
    break;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}
