#!/usr/bin/env node
/** The installed `maxent-rlhf` command (package.json "bin"); a checkout runs bin/maxent-rlhf.mjs. */
import { main } from './cli/main.ts';

process.exitCode = await main(process.argv.slice(2));
