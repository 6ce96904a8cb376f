import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// `maxent-rlhf` and its subpaths resolve to the sources in tests (README examples import the
// package by name): each exports-map target dist/X.js maps to src/X.ts.
const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as {
  exports: Record<string, string | { default: string }>;
};
const alias = Object.entries(pkg.exports)
  .filter(([, target]) => typeof target === 'object')
  .map(([subpath, target]) => ({
    find: new RegExp(`^${`maxent-rlhf${subpath.slice(1)}`.replace(/[/.]/g, '\\$&')}$`),
    replacement: fileURLToPath(
      new URL((target as { default: string }).default.replace(/^\.\/dist\//, './src/').replace(/\.js$/, '.ts'), import.meta.url),
    ),
  }));

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // Two cores: one worker per core; each worker sets libtorch to one thread (see test/setup.ts).
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    setupFiles: ['test/setup.ts'],
  },
});
