/**
 * Issue 17, item 4: `maxent-rlhf sft … | head -2` through a real shell pipe. Once `head` exits,
 * every write to stdout fails with EPIPE; training must go on to the end (progress dropped, said
 * once on stderr): exit 0, no stack trace, run.json done, every step logged, no `.partial`
 * checkpoint, the model written.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loggedSteps, REPO } from './fixtures/child.ts';
import { type LabSetup, labSetup } from './fixtures/cli-lab.ts';

const root = mkdtempSync(join(tmpdir(), 'reliability-epipe-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let lab: LabSetup;
beforeAll(async () => {
  lab = await labSetup(root);
});

/** Runs `command` in bash; resolves with its exit code and output. */
function bash(command: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn('bash', ['-c', command], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe('stdout closed mid-training (| head -2)', () => {
  it('sft trains to the end: exit 0, no stack trace, run done, all steps, no .partial, model saved', async () => {
    const out = join(root, 'sft');
    const steps = 16;
    const config = lab.config('sft.yaml', lab.sft(out, { steps, checkpointEvery: 2 }));
    // The trainer's own exit status, not head's (PIPESTATUS[0]).
    const r = await bash(
      `${JSON.stringify(process.execPath)} bin/maxent-rlhf.mjs sft --config ${JSON.stringify(config)} | head -2; exit \${PIPESTATUS[0]}`,
    );
    expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(2);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/EPIPE\n\s+at |Unhandled 'error' event/);
    expect(r.stderr).toContain('stdout was closed (EPIPE); continuing without printing progress');
    expect(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).status).toBe('done');
    expect(loggedSteps(out)).toEqual(Array.from({ length: steps }, (_, i) => i + 1));
    expect(readdirSync(join(out, 'checkpoints')).filter((n) => n.includes('.partial'))).toEqual([]);
    expect(readdirSync(join(out, 'checkpoints'))).toContain(`step-${String(steps).padStart(8, '0')}`);
    expect(existsSync(join(out, 'model', 'model.safetensors'))).toBe(true);
  });
});
