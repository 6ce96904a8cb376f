/**
 * The layering of src/, bottom up, as the code must keep it: a module imports only from lower layers
 * or from its own unit (a unit being one entry of a layer: a folder, or a file). An import that
 * climbs — a trainer importing the CLI, a model importing a checkpoint loader that imports it — fails
 * here naming both files. Static imports, re-exports and dynamic `import()` all count.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unitOf } from './layers.ts';

const SRC = resolve(import.meta.dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** Relative module specifiers of a file: `from '…'` (imports and re-exports) and `import('…')`. */
function importsOf(text: string): string[] {
  const specs = [
    ...text.matchAll(/\bfrom\s+'(\.[^']+)'/g),
    ...text.matchAll(/\bimport\(\s*'(\.[^']+)'\s*\)/g),
  ];
  return specs.map((m) => m[1]!);
}

const files = sourceFiles(SRC).map((p) => relative(SRC, p).split('\\').join('/'));

describe('the layering of src/', () => {
  it('places every source file in a layer', () => {
    const unplaced = files.filter((f) => unitOf(f) === undefined);
    expect(unplaced).toEqual([]);
  });

  it('has no import from a lower layer to a higher one (nor across units of one layer)', () => {
    const climbs: string[] = [];
    for (const file of files) {
      const from = unitOf(file)!;
      for (const spec of importsOf(readFileSync(join(SRC, file), 'utf8'))) {
        const target = relative(SRC, resolve(dirname(join(SRC, file)), spec))
          .split('\\')
          .join('/');
        const to = unitOf(target);
        if (!to || to.unit === from.unit) continue;
        if (to.layer >= from.layer) climbs.push(`${file} (${from.unit}) → ${target} (${to.unit})`);
      }
    }
    expect(climbs).toEqual([]);
  });

  it('reaches models/ from outside only through models/index.ts', () => {
    const deep: string[] = [];
    for (const file of files.filter((f) => !f.startsWith('models/'))) {
      for (const spec of importsOf(readFileSync(join(SRC, file), 'utf8'))) {
        const target = relative(SRC, resolve(dirname(join(SRC, file)), spec))
          .split('\\')
          .join('/');
        if (target.startsWith('models/') && target !== 'models/index.ts') deep.push(`${file} → ${target}`);
      }
    }
    expect(deep).toEqual([]);
  });

  it('catches a climb (the check itself)', () => {
    // A trainer importing the CLI would be reported: the rule on a made-up pair of paths.
    const from = unitOf('trainers/online/trainer.ts')!;
    const to = unitOf('cli/main.ts')!;
    expect(to.layer).toBeGreaterThan(from.layer);
    expect(unitOf('models/gptneox/model.ts')!.layer).toBeLessThan(
      unitOf('models/checkpoint/load-model.ts')!.layer,
    );
  });
});
