/**
 * Tearing down a JS environment while c10d work is pending (worker.terminate() during collectives or
 * during init, process.exit with collectives queued) must not abort the process: before the fix an
 * exception escaped a thread-safe-function callback and terminate() was called (exit 134).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { NO_GLOO } from './fixtures/gloo.ts';
import { REPO } from './fixtures/ranks.ts';

describe.skipIf(NO_GLOO).each(['worker-collectives', 'worker-init', 'exit'])('%s', (mode) => {
  it('the process survives and exits 0', () => {
    const r = spawnSync(process.execPath, ['test/distributed/fixtures/teardown.mjs', mode], {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.signal ?? r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('survived');
    expect(r.stderr).not.toMatch(/terminate called/);
  });
});
