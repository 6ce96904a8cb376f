#!/usr/bin/env node
// The CLI in a checkout: runs the TypeScript sources through tsx, so there is no build to go stale.
// The installed package's command is dist/bin.js (package.json "bin"), compiled by `npm run build`.
let register;
try {
  ({ register } = await import('tsx/esm/api'));
} catch {
  console.error('maxent-rlhf: tsx is missing (a dev dependency): run `npm run setup` in this checkout');
  process.exit(1);
}
register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
