/**
 * The `maxent-rlhf` command line. Each subcommand lives in its own module under src/cli/commands
 * and is loaded lazily, so `maxent-rlhf info` does not pay for the trainers' imports.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { tolerateClosedOutput } from './closed-output.ts';
import { registerCommands } from './commands/index.ts';

export async function main(argv: string[]): Promise<number> {
  tolerateClosedOutput();
  const program = new Command('maxent-rlhf')
    .description(
      'Preference alignment of language models on libtorch: SFT, reward models, DPO/SimPO, PPO/RLOO with a KL penalty or an entropy bonus.',
    )
    .version(packageVersion(), '-V, --version', 'print the version of maxent-rlhf')
    .showHelpAfterError()
    .exitOverride();
  registerCommands(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    console.error(`maxent-rlhf: ${e instanceof Error ? e.message : String(e)}`);
    if (process.env.MAXENT_DEBUG) console.error(e);
    return 1;
  }
}

/** The version in package.json, two folders above this file in a checkout (src/cli) and installed (dist/cli). */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}
