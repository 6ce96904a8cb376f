/**
 * The `maxent-rlhf` command line. Each subcommand lives in its own module under src/cli/commands
 * and is loaded lazily, so `maxent-rlhf info` does not pay for the trainers' imports.
 */
import { Command, CommanderError } from 'commander';
import { RunInterruptedError } from '../runs/stop-signals.ts';
import { tolerateClosedOutput } from './closed-output.ts';
import { registerCommands } from './commands/index.ts';

export async function main(argv: string[]): Promise<number> {
  tolerateClosedOutput();
  const program = new Command('maxent-rlhf')
    .description(
      'Preference alignment of language models on libtorch: SFT, reward models, DPO/SimPO, PPO/RLOO with a KL penalty or an entropy bonus.',
    )
    .showHelpAfterError()
    .exitOverride();
  registerCommands(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    if (e instanceof RunInterruptedError) {
      console.error(`maxent-rlhf: ${e.message}`);
      return e.exitCode;
    }
    console.error(`maxent-rlhf: ${e instanceof Error ? e.message : String(e)}`);
    if (process.env.MAXENT_DEBUG) console.error(e);
    return 1;
  }
}
