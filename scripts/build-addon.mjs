#!/usr/bin/env node
// Builds the libtorch Node-API addon, build/Release/maxent_rlhf_torch.node, with node-gyp and no
// network: against Debian's libtorch-dev, or the libtorch at $LIBTORCH (see libtorch.mjs). It is the
// package's `install` script and what scripts/setup.sh runs in a checkout. Incremental (configure +
// build, not rebuild: the previous addon stays usable until the new one is linked) and a no-op when
// the addon is newer than its sources and was built against the same libtorch. A missing
// prerequisite stops it before node-gyp starts, with the command that installs it.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildProblems, locateLibtorch, nodeHeadersDir } from './libtorch.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const addon = join(root, 'build/Release/maxent_rlhf_torch.node');
const stamp = join(root, 'build/.libtorch');
const log = join(root, 'build-addon.log');
const say = (m) => console.error(`[maxent-rlhf] ${m}`);

function newestSource() {
  const files = [join(root, 'binding.gyp'), join(root, 'scripts/torch-flags.mjs'), join(root, 'scripts/libtorch.mjs')];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true }))
      e.isDirectory() ? walk(join(d, e.name)) : files.push(join(d, e.name));
  };
  walk(join(root, 'native'));
  return Math.max(...files.filter(existsSync).map((f) => statSync(f).mtimeMs));
}

const torch = locateLibtorch();
// The compiler flags depend on what is installed as well as on the libtorch (Gloo's headers enable
// c10d): the stamp holds both, and a change of either reconfigures.
const flags = spawnSync(process.execPath, [join(root, 'scripts/torch-flags.mjs'), 'cflags'], { encoding: 'utf8' }).stdout?.trim() ?? '';
const want = `${torch.id}\n${flags}`;
const stamped = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : null;
if (existsSync(addon) && stamped === want && statSync(addon).mtimeMs >= newestSource()) process.exit(0);

const problems = buildProblems();
if (problems.length) {
  say('cannot build the libtorch addon:');
  for (const p of problems) say(`  - ${p}`);
  process.exit(1);
}

const require = createRequire(import.meta.url);
let gyp;
try {
  gyp = require.resolve('node-gyp/bin/node-gyp.js');
  require.resolve('node-addon-api');
} catch {
  say('node-gyp or node-addon-api is missing from node_modules: reinstall the package (npm install)');
  process.exit(1);
}

say(`building the libtorch addon against libtorch ${torch.version} (${torch.system ? 'Debian' : torch.root}); about 2 minutes`);
const nodedir = `--nodedir=${nodeHeadersDir()}`;
const out = openSync(log, 'w');
const run = (args) => spawnSync(process.execPath, [gyp, ...args, nodedir], { cwd: root, stdio: ['ignore', out, out] }).status === 0;
const needsConfigure =
  !existsSync(join(root, 'build/Makefile')) ||
  stamped !== want ||
  statSync(join(root, 'binding.gyp')).mtimeMs > statSync(join(root, 'build/Makefile')).mtimeMs;
const ok = (!needsConfigure || run(['configure'])) && run(['build', '-j', String(availableParallelism())]);
closeSync(out);
if (!ok) {
  const tail = readFileSync(log, 'utf8').trimEnd().split('\n').slice(-30).join('\n');
  console.error(tail);
  say(`the addon build failed (full log: ${log}). libtorch: ${torch.root}; run \`npx maxent-rlhf doctor\` for a check of the set-up.`);
  process.exit(1);
}
writeFileSync(stamp, `${want}\n`);

// A build that links may still not load (a library found at link time but not at run time).
const check = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(addon)})`], { encoding: 'utf8' });
if (check.status !== 0) {
  say(`the addon was built but does not load: ${check.stderr.trim().split('\n').find((l) => l.includes('Error')) ?? check.stderr.trim()}`);
  process.exit(1);
}
say(`built ${addon}`);
