#!/usr/bin/env node
// `npm run build` (and `prepack`): compiles src/ to dist/ (ESM JavaScript, .d.ts, source maps with
// their sources inlined) with tsconfig.build.json, and copies src/'s other files (the dashboard's
// page, styles and script) beside their modules, so every path a module computes from its own URL
// finds the same file under dist/ as under src/. dist/ is rebuilt from nothing, so a file removed
// from src/ cannot linger in a tarball.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const src = join(root, 'src');
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
let assets = 0;
const walk = (dir) => {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) walk(path);
    else if (!e.name.endsWith('.ts')) {
      cpSync(path, join(dist, relative(src, path)));
      assets++;
    }
  }
};
walk(src);
chmodSync(join(dist, 'bin.js'), 0o755);
console.error(`built ${relative(root, dist)}/ (${assets} asset files copied)`);
