/** Registers every subcommand; implementations are imported on demand. */
import type { Command } from 'commander';

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`expected an integer, got "${v}"`);
  return n;
};
const collect = (v: string, prev: string[]) => [...prev, v];

export function registerCommands(program: Command): void {
  program
    .command('info')
    .description('show the libtorch version, build flags, thread counts and whether CUDA is available')
    .option('--json', 'print JSON')
    .option('--config', 'also print libtorch build configuration')
    .action(async (opts) => (await import('./info.ts')).runInfo(opts));

  program
    .command('demo')
    .description(
      'the whole pipeline on the built-in synthetic TL;DR lab: SFT, reward model, DPO/SimPO, KL vs MaxEnt RLHF, report',
    )
    .option('--out <dir>', 'run folder', 'runs/demo')
    .option('--quick', 'the ~3-minute preset')
    .option('--fresh', 'ignore cached stages and start over')
    .action(async (opts: { out: string; quick?: boolean; fresh?: boolean }) => {
      const { runDemo } = await import('../../lab/demo/pipeline.ts');
      await runDemo({ out: opts.out, preset: opts.quick ? 'quick' : 'default', fresh: Boolean(opts.fresh) });
    });

  program
    .command('theory')
    .description(
      "check the paper's theory numerically (Lemma 1, closed forms, Theorem 1 and where it breaks)",
    )
    .option('--instances <n>', 'random instances per statement', int, 20)
    .option('--seed <n>', 'seed', int, 1)
    .option('--json', 'print JSON rows')
    .option(
      '--loss <impl>',
      "SimPO implementation minimised in Theorem 1: 'tensor' (src/losses) or 'float64' (independent)",
      'tensor',
    )
    .action(async (opts) => (await import('./theory.ts')).runTheory(opts));

  program
    .command('report <runDir>')
    .description(
      "write RUN_DIR/report.html and figures: the paper's figures from your runs, verdicts, claims",
    )
    .action(async (runDir: string) => {
      await (await import('../../report/command.ts')).runReportCommand(runDir);
    });

  program
    .command('dashboard <runDir>')
    .description('serve a live, read-only dashboard of every run under RUN_DIR')
    .option('--host <host>', 'address to bind (default 127.0.0.1)', '127.0.0.1')
    .option('--port <port>', 'port (0: any free port)', int, 0)
    .action(async (runDir: string, opts: { host: string; port: number }) => {
      const handle = await (await import('../../dashboard/command.ts')).runDashboardCommand(runDir, opts);
      await new Promise<void>((resolve) => {
        const stop = () => void handle.close().then(resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });

  for (const kind of ['sft', 'rm', 'po', 'rl'] as const) {
    const description = {
      sft: 'supervised fine-tuning (completion-only loss)',
      rm: 'train a Bradley-Terry reward model on preference pairs',
      po: 'offline preference optimisation (--loss dpo|cdpo|robust|ipo|hinge|simpo|cpo|orpo)',
      rl: 'online RLHF: PPO/RLOO/REINFORCE with a KL penalty or an entropy bonus',
    }[kind];
    const cmd = program
      .command(kind)
      .description(description)
      .requiredOption('--config <file>', 'YAML/JSON config (see configs/ and docs/configs.md)')
      .option(
        '--set <key=value>',
        'override a config key (repeatable), e.g. --set optim.lr=1e-6',
        collect,
        [],
      )
      .option('--fresh', 'ignore checkpoints in the run folder and start over');
    if (kind === 'po') cmd.option('--loss <name>', 'preference loss (overrides the config)');
    cmd.action(async (opts) => (await import('./train.ts')).runTrainCommand(kind, opts));
  }
}
