/** Registers every subcommand; implementations are imported on demand. */
import type { Command } from 'commander';

export function registerCommands(program: Command): void {
  program
    .command('info')
    .description('show the libtorch version, build flags, thread counts and whether CUDA is available')
    .option('--json', 'print JSON')
    .option('--config', 'also print libtorch build configuration')
    .action(async (opts) => (await import('./info.ts')).runInfo(opts));
}
