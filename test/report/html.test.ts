import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runReportCommand } from '../../src/report/command.ts';
import { inlineSvg, writeReport } from '../../src/report/html.ts';
import { dpoRun, klRun, maxEntRun, STABLE_WIN_RATES, tempRoot, writeRun } from './synthetic-runs.ts';

/** Every src/href attribute value of the document. */
function linkedUrls(html: string): string[] {
  return [...html.matchAll(/\b(?:src|href)\s*=\s*["']?([^"'\s>]+)/gi)].map((m) => m[1] ?? '');
}

async function paperLikeFolder(): Promise<string> {
  const root = await tempRoot();
  await writeRun(root, 'maxent/a0.05', maxEntRun('me-a0.05', 0.05, 1e-6));
  await writeRun(root, 'maxent/a0.1', maxEntRun('me-a0.1', 0.1, 1e-6));
  await writeRun(root, 'kl/b0.05', klRun('kl-b0.05', 0.05, 1e-6));
  await writeRun(root, 'dpo', dpoRun('dpo-b0.1', 0.1));
  return root;
}

describe('writeReport', () => {
  it('writes a self-contained report.html with inline figures and figures/ files next to it', async () => {
    const root = await paperLikeFolder();
    const result = await writeReport(root);
    expect(result.reportFile).toBe(join(root, 'report.html'));
    const html = await readFile(result.reportFile, 'utf8');
    expect(linkedUrls(html).filter((u) => /^(https?:)?\/\//i.test(u))).toEqual([]);
    expect(/https?:\/\//.test(html)).toBe(false);
    expect(html.match(/<svg\b/g)).toHaveLength(4);
    for (const id of ['fig1-2', 'fig3', 'fig4', 'fig5']) {
      await access(join(root, 'figures', `${id}.svg`));
      await access(join(root, 'figures', `${id}.png`));
    }
  });

  it("a caller's sections replace the pooled bottom line, and the generic check says it pools", async () => {
    const root = await paperLikeFolder();
    const plain = await readFile((await writeReport(root)).reportFile, 'utf8');
    expect(plain).toMatch(/These runs show the paper/);
    const html = await readFile(
      (await writeReport(root, join(root, 'with-sections.html'), { sections: ['<h2>Per seed</h2>'] }))
        .reportFile,
      'utf8',
    );
    expect(html).toContain('<h2>Per seed</h2>');
    expect(html).not.toMatch(/These runs (do not \(fully\) )?show the paper/);
    expect(html).toContain('every run folder pooled, without seeds');
  });

  it('shows the claims check, a row per run with its verdict, and the thresholds', async () => {
    const root = await paperLikeFolder();
    const result = await writeReport(root);
    const html = await readFile(result.reportFile, 'utf8');
    expect(result.claims.map((c) => c.status)).toEqual(['supported', 'supported']);
    expect(html.includes('These runs show the paper&#39;s effect')).toBe(true);
    const rows = [...html.matchAll(/<tr><td>([^<]*)<\/td>/g)].map((m) => m[1]);
    expect(rows.sort()).toEqual(['dpo-b0.1', 'kl-b0.05', 'me-a0.05', 'me-a0.1']);
    expect(html.match(/class="verdict-over-optimised"/g)).toHaveLength(2);
    expect(html.match(/class="verdict-stable"/g)).toHaveLength(1);
    expect(html.includes('fell at least 0.15 (absolute) from its peak')).toBe(true);
    expect(html.includes('first evaluation&#39;s win rate − 0.1')).toBe(true);
  });

  it('says plainly when the runs do not show the effect, and notes omitted figures', async () => {
    const root = await tempRoot();
    await writeRun(root, 'me', maxEntRun('me-stable', 0.1, 1e-6, STABLE_WIN_RATES));
    const out = join(root, 'out', 'r.html');
    const result = await writeReport(root, out);
    const html = await readFile(out, 'utf8');
    expect(result.claims.map((c) => c.status)).toEqual(['not supported', 'not tested']);
    expect(html.includes('These runs do not (fully) show the paper&#39;s effect')).toBe(true);
    expect(html.includes('No DPO run')).toBe(true);
    await access(join(root, 'out', 'figures', 'fig1-2.svg'));
  });

  it('prefixes ids when inlining so two figures cannot share a clip path', () => {
    const svg =
      '<svg xmlns="http://www.w3.org/2000/svg"><clipPath id="clip1"/><g clip-path="url(#clip1)"/></svg>';
    expect(inlineSvg(svg, 'fig3')).toBe(
      '<svg><clipPath id="fig3-clip1"/><g clip-path="url(#fig3-clip1)"/></svg>',
    );
  });
});

describe('runReportCommand', () => {
  it('prints where the report is and each claim', async () => {
    const root = await paperLikeFolder();
    const lines: string[] = [];
    const file = await runReportCommand(root, (l) => lines.push(l));
    expect(file).toBe(join(root, 'report.html'));
    expect(lines[0]).toContain('report.html');
    expect(lines[0]).toContain('4 run(s), 4 figure(s)');
    expect(lines.slice(1)).toEqual([
      '  MaxEnt (regularizer=entropy) runs over-optimise or collapse: supported',
      '  KL-regularised runs stay stable: supported',
    ]);
  });
});
