/** Registers every subcommand; implementations are imported on demand. */
import { type Command, Option } from 'commander';
import { MAX_TOKENS } from '../../config/limits.ts';
import { PREFERENCE_LOSSES, REFERENCE_LOSSES } from '../../losses/names.ts';
import { registerLaunchCommand } from './launch.ts';

/** An integer flag within [min, max], the error naming the flag. */
const intIn = (flag: string, min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < min || n > max)
    throw new Error(`${flag} expects an integer from ${min} to ${max}, got "${v}"`);
  return n;
};
const num = (v: string) => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new Error(`expected a number, got "${v}"`);
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
    .command('doctor')
    .description(
      'check Node, libtorch, the addon, BLAS, threads and CUDA, and say what to fix (exit 1 on a failed check)',
    )
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => (await import('./doctor.ts')).runDoctor(opts));

  program
    .command('demo')
    .description(
      'the whole pipeline on the built-in synthetic TL;DR lab: SFT, reward model, DPO/SimPO, KL vs MaxEnt RLHF, report',
    )
    .option('--out <dir>', 'run folder', 'runs/demo')
    .option(
      '--seeds <list>',
      'comma-separated seeds, one pipeline each (default 1,2,3; --quick and --smoke: 1)',
    )
    .option('--quick', 'the ~3-minute preset, one seed')
    .option(
      '--smoke',
      "every stage in seconds, to check an installation (too short to show the paper's effect)",
    )
    .option(
      '--scale <scale>',
      "lab policy size: 'lab' (the default, 64 wide, 2 layers) or 'wide' (128 wide, 3 layers: Fig. 2's second scale, one seed, outside the default budget)",
      'lab',
    )
    .option('--fresh', 'ignore cached stages and start over')
    .option(
      '--family <name>',
      'architecture of every lab model (policy, reward model, critic): gpt_neox (Pythia-shaped, default), llama (Llama/SmolLM-shaped) or qwen2 (Qwen2-shaped)',
    )
    .option(
      '--jobs <n>',
      'worker processes running stages side by side, one torch and one OpenBLAS thread each (default: one per core, at most 8; 1: in this process, in order)',
      intIn('--jobs', 1, 64),
    )
    .action(
      async (opts: {
        out: string;
        seeds?: string;
        quick?: boolean;
        smoke?: boolean;
        scale: string;
        fresh?: boolean;
        family?: string;
        jobs?: number;
      }) => {
        if (opts.quick && opts.smoke) throw new Error('demo: choose one of --quick and --smoke');
        const { LAB_FAMILIES } = await import('../../lab/demo/config.ts');
        const family = opts.family as (typeof LAB_FAMILIES)[number] | undefined;
        if (family !== undefined && !LAB_FAMILIES.includes(family))
          throw new Error(`--family: expected one of ${LAB_FAMILIES.join(', ')}, got "${opts.family}"`);
        if (opts.scale !== 'lab' && opts.scale !== 'wide')
          throw new Error(`demo: --scale must be lab or wide, got "${opts.scale}"`);
        if (opts.scale === 'wide' && (opts.quick || opts.smoke))
          throw new Error(
            'demo: --scale wide runs the default grid at the wider policy; drop --quick/--smoke',
          );
        const { parseSeeds, runDemoCommand } = await import('./demo.ts');
        await runDemoCommand({
          out: opts.out,
          preset: opts.scale === 'wide' ? 'wide' : opts.smoke ? 'smoke' : opts.quick ? 'quick' : 'default',
          fresh: Boolean(opts.fresh),
          seeds: opts.seeds === undefined ? undefined : parseSeeds(opts.seeds),
          jobs: opts.jobs,
          family,
        });
      },
    );

  program
    .command('theory')
    .description(
      "check the paper's theory numerically (Lemma 1, closed forms, Theorem 1 and where it breaks)",
    )
    .option('--instances <n>', 'random instances per statement', intIn('--instances', 1, 100_000), 20)
    .option('--seed <n>', 'seed', intIn('--seed', 0, Number.MAX_SAFE_INTEGER), 1)
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
    .option('--port <port>', 'port (0: any free port)', intIn('--port', 0, 65_535), 0)
    .option(
      '--token <secret>',
      'a secret (≥ 16 characters) every request must carry: required for a non-loopback --host unless --allow-remote (default: $MAXENT_DASHBOARD_TOKEN)',
    )
    .option('--allow-remote', 'serve a non-loopback --host without a token (no authentication)')
    .action(
      async (runDir: string, opts: { host: string; port: number; token?: string; allowRemote?: boolean }) => {
        const token = opts.token ?? (process.env.MAXENT_DASHBOARD_TOKEN || undefined);
        const handle = await (await import('../../dashboard/command.ts')).runDashboardCommand(runDir, {
          ...opts,
          token,
        });
        await new Promise<void>((resolve) => {
          const stop = () => void handle.close().then(resolve);
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
      },
    );

  for (const kind of ['sft', 'rm', 'po', 'rl'] as const) {
    const description = {
      sft: 'supervised fine-tuning (completion-only loss)',
      rm: 'train a Bradley-Terry reward model on preference pairs',
      po: 'offline preference optimisation: DPO and its variants, SimPO, CPO, ORPO (--loss NAME, see docs/configs.md)',
      rl: 'online RLHF: PPO, RLOO, REINFORCE, GRPO or REINFORCE++ with a KL penalty or an entropy bonus',
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
      .option('--fresh', 'ignore checkpoints in the run folder and start over')
      .addOption(
        new Option(
          '--config-format <format>',
          "trl: the file uses TRL's names (learning_rate, per_device_train_batch_size, …), translated and printed (docs/trl-keys.md); auto: the same when the file has TRL names",
        )
          .choices(['auto', 'trl', 'native'])
          .default('auto'),
      );
    if (kind === 'po')
      cmd.addOption(
        new Option(
          '--loss <name>',
          `preference loss, overrides the config's \`loss\` (with a reference model: ${PREFERENCE_LOSSES.filter((l) => REFERENCE_LOSSES.has(l)).join(', ')}; reference-free: ${PREFERENCE_LOSSES.filter((l) => !REFERENCE_LOSSES.has(l)).join(', ')})`,
        ).choices(PREFERENCE_LOSSES),
      );
    cmd.action(async (opts) => {
      await (await import('../../experiments/train.ts')).runTrainCommand(kind, opts);
    });
  }

  program
    .command('bon')
    .description(
      'best-of-n without training: for each n of a grid, the proxy score, the analytic and measured KL and (judge: lab) the gold win rate of the chosen responses',
    )
    .requiredOption('--config <file>', 'YAML/JSON config (see configs/lab/bon.yaml and docs/configs.md)')
    .option('--set <key=value>', 'override a config key (repeatable), e.g. --set n=[1,4,16]', collect, [])
    .action(async (opts: { config: string; set: string[] }) => {
      await (await import('../../experiments/best-of-n.ts')).runBestOfNCommand(opts);
    });

  program
    .command('plan')
    .description(
      'the memory plan of a training config without loading weights: bytes per component at the peak, whether it fits the GPU, the largest micro-batch and chunk sizes that do (docs/gpu.md)',
    )
    .requiredOption('--config <file>', 'a training config (sft, rm, po or rl)')
    .option('--gpu-memory <GiB>', 'the GPU memory to plan for, GiB', '80')
    .option(
      '--shape <name>',
      'model shape for snapshots that do not exist yet (e.g. pythia-1b, smollm-135m); default: the size the path names',
    )
    .option('--kind <kind>', 'sft, rm, po or rl (default: the first whose schema accepts the file)')
    .option('--set <key=value>', 'override a config key (repeatable)', collect, [])
    .option('--json', 'print JSON')
    .action(
      async (opts: {
        config: string;
        gpuMemory: string;
        shape?: string;
        kind?: string;
        set: string[];
        json?: boolean;
      }) => {
        await (await import('./plan.ts')).runPlanCommand(opts);
      },
    );

  program
    .command('sweep')
    .description(
      'a grid (learning rate × regularizer/loss × coefficient × seed) over an rl or po config; skips finished runs, resumes interrupted ones',
    )
    .requiredOption('--config <file>', 'sweep file (see configs/*/sweep-*.yaml and docs/configs.md)')
    .option(
      '--set <key=value>',
      'override a key of the sweep file (repeatable), e.g. --set out=runs/x',
      collect,
      [],
    )
    .option('--dry-run', 'list the runs and what would happen to each, train nothing')
    .action(async (opts: { config: string; set: string[]; dryRun?: boolean }) => {
      await (await import('./sweep.ts')).runSweepCommand(opts);
    });

  program
    .command('init-model')
    .description(
      'write a randomly initialised GPT-NeoX/Pythia, Llama or Qwen2 model as an HF snapshot folder',
    )
    .requiredOption(
      '--config <name>',
      'pythia-tiny | pythia-small | llama-tiny | qwen2-tiny (vocabulary from the tokenizer) | 14m | 70m | 160m | 410m | 1b | 1.4b | 2.8b | 6.9b | 12b | smollm-135m | qwen2.5-0.5b',
    )
    .requiredOption('--out <dir>', 'output folder')
    .option('--seed <n>', 'initialisation seed', intIn('--seed', 0, Number.MAX_SAFE_INTEGER), 1)
    .option(
      '--tokenizer <path>',
      'tokenizer.json or a folder holding one (default: byte-level BPE, no merges)',
    )
    .option(
      '--device <device>',
      'auto | cpu | cuda | cuda:N (auto: CUDA when the linked libtorch has it)',
      'auto',
    )
    .action(
      async (opts: { config: string; out: string; seed: number; tokenizer?: string; device: string }) => {
        await (await import('./model-tools.ts')).runInitModelCommand(opts);
      },
    );

  program
    .command('merge')
    .description(
      "fold a LoRA adapter folder (PEFT's layout) into its base: a full HF snapshot with W + (alpha/r)·B·A",
    )
    .requiredOption('--base <dir>', 'the base snapshot folder the adapter was trained on')
    .requiredOption('--adapter <dir>', 'the adapter folder (adapter_config.json, adapter_model.safetensors)')
    .requiredOption('--out <dir>', 'output folder for the merged snapshot')
    .option('--dtype <dtype>', 'float32 | bfloat16: storage dtype of the merged weights (default float32)')
    .action(async (opts: { base: string; adapter: string; out: string; dtype?: string }) => {
      await (await import('./model-tools.ts')).runMergeCommand(opts);
    });

  program
    .command('generate')
    .description('continue prompts with a snapshot: greedy or sampled (temperature, top-k, top-p)')
    .requiredOption('--model <dir>', 'HF snapshot folder (config.json, weights, tokenizer.json)')
    .option('--prompt <text>', 'prompt text (repeatable)', collect, [])
    .option('--prompt-ids <ids>', 'prompt token ids, e.g. 1,2,3 (repeatable)', collect, [])
    .option('--greedy', 'take the most likely token')
    .option('--temperature <t>', 'sampling temperature (default 1)', num)
    .option('--top-k <k>', 'keep the k most likely tokens', intIn('--top-k', 1, MAX_TOKENS))
    .option('--top-p <p>', 'nucleus sampling: keep the smallest set with probability ≥ p', num)
    .option('--max-new-tokens <n>', 'response length limit', intIn('--max-new-tokens', 1, MAX_TOKENS), 64)
    .option('--seed <n>', 'sampling seed', intIn('--seed', 0, Number.MAX_SAFE_INTEGER), 1)
    .option(
      '--device <device>',
      'auto | cpu | cuda | cuda:N (auto: CUDA when the linked libtorch has it)',
      'auto',
    )
    .option(
      '--json',
      'one JSON object per prompt: prompt_ids, generated_ids, text, logprobs, sampling_logprobs',
    )
    .option(
      '--strict',
      'fail on words outside the vocabulary (otherwise a warning) and on generations past the model positions',
    )
    .action(async (opts) => {
      await (await import('./model-tools.ts')).runGenerateCommand(opts);
    });
  registerLaunchCommand(program);
}
