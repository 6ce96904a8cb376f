import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTraversal, resolveWithin } from '../../src/dashboard/safe-path.ts';
import { tempRoot } from '../report/synthetic-runs.ts';

async function layout() {
  const root = await tempRoot('maxent-safe-');
  const outside = await tempRoot('maxent-outside-');
  await mkdir(join(root, 'run/figures'), { recursive: true });
  await writeFile(join(root, 'run/metrics.jsonl'), '{"step":0}\n');
  await writeFile(join(outside, 'secret.txt'), 'secret');
  await symlink(join(outside, 'secret.txt'), join(root, 'run/escape.txt'));
  await symlink(outside, join(root, 'run/out'));
  await symlink(join(root, 'run/metrics.jsonl'), join(root, 'inside-link.jsonl'));
  return { root, outside };
}

describe('resolveWithin', () => {
  it('resolves a regular file inside the root', async () => {
    const { root } = await layout();
    expect(await resolveWithin(root, 'run/metrics.jsonl')).toMatchObject({ ok: true });
  });

  it('follows a link whose target stays inside the root', async () => {
    const { root } = await layout();
    const result = await resolveWithin(root, 'inside-link.jsonl');
    expect(result.ok && result.path.endsWith(join('run', 'metrics.jsonl'))).toBe(true);
  });

  it('forbids .. segments, absolute paths, backslashes and NUL bytes', async () => {
    const { root } = await layout();
    for (const bad of ['../x', 'run/../../x', 'run/..', '/etc/passwd', 'run\\..\\..\\x', 'C:/x', 'run/\0']) {
      expect(await resolveWithin(root, bad), bad).toEqual({ ok: false, status: 403 });
    }
  });

  it('forbids symbolic links pointing outside the root (files and folders)', async () => {
    const { root } = await layout();
    expect(await resolveWithin(root, 'run/escape.txt')).toEqual({ ok: false, status: 403 });
    expect(await resolveWithin(root, 'run/out/secret.txt')).toEqual({ ok: false, status: 403 });
  });

  it('answers 404 for missing files and folders', async () => {
    const { root } = await layout();
    expect(await resolveWithin(root, 'run/nope.json')).toEqual({ ok: false, status: 404 });
    expect(await resolveWithin(root, 'run/figures')).toEqual({ ok: false, status: 404 });
    expect(await resolveWithin(root, '%2e%2e%2fx')).toEqual({ ok: false, status: 404 });
  });
});

describe('isTraversal', () => {
  it('accepts ordinary relative paths, including names that merely contain dots', () => {
    expect(isTraversal('run/a..b/c.json')).toBe(false);
    expect(isTraversal('.hidden/x')).toBe(false);
  });
});
