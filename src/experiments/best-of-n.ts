/**
 * Best-of-n from a config (`runBon`; the CLI's `maxent-rlhf bon --config FILE [--set k=v]…`): a
 * policy snapshot and a reward model over a prompt file, for a grid of n, as a run folder
 * (docs/configs.md, "bon"). With
 * `judge: lab` every n also gets the lab's gold score and win rate of the chosen responses: the
 * over-optimisation curve of Gao et al. 2023 (gold and proxy against √KL).
 */
import { basename } from 'node:path';
import type { z } from 'zod';
import { loadConfigSource, type OverrideSource, parseOverrides } from '../config/load.ts';
import { Tokenizer } from '../models/index.ts';
import { resolveDevice, withDefaultDevice } from '../tensor/index.ts';
import { LabModels, LMPolicy, promptSource } from '../trainers/adapters/index.ts';
import { type BestOfNResult, runBestOfN } from '../trainers/online/best-of-n.ts';
import { type BestOfNConfig, BestOfNConfigSchema } from './best-of-n-config.ts';
import { requireInputsOutsideRun } from './configs.ts';
import { httpJudge, judgeTexts, readFacts } from './evaluation.ts';
import { stepProgress } from './progress.ts';
import { loadPromptRows, type TrainIO } from './train.ts';

export interface BestOfNCommandOptions {
  config: string;
  set?: string[];
}

const defaultPrint = (line: string) => console.log(line);

/** A bon config from a file or an object (the file's keys), `sets` applied over it, validated. */
export function loadBestOfNConfig(
  source: string | z.input<typeof BestOfNConfigSchema>,
  sets: string[] = [],
): BestOfNConfig {
  const sources: OverrideSource[] = [];
  const config = loadConfigSource(
    BestOfNConfigSchema,
    source,
    parseOverrides(sets, sources),
    sources,
  ) as BestOfNConfig;
  requireInputsOutsideRun(config);
  return config;
}

/** Best-of-n from a config (object or file); returns the run folder. */
export function runBon(
  config: string | z.input<typeof BestOfNConfigSchema>,
  options: { set?: string[]; io?: TrainIO } = {},
): Promise<string> {
  return runBestOfNConfig(
    loadBestOfNConfig(config, options.set),
    options.io ?? { print: (l) => console.log(l), log: (m) => console.error(m) },
  );
}

export async function runBestOfNCommand(
  opts: BestOfNCommandOptions,
  io: { print: (l: string) => void; log: (m: string) => void } = {
    print: defaultPrint,
    log: (m) => console.error(m),
  },
): Promise<string> {
  return runBestOfNConfig(loadBestOfNConfig(opts.config, opts.set ?? []), io);
}

/** Runs a validated config; prints a line per n and the run folder. */
export async function runBestOfNConfig(
  c: BestOfNConfig,
  io: { print: (l: string) => void; log: (m: string) => void },
): Promise<string> {
  const tokenizer = await Tokenizer.fromFolder(c.model);
  const loaded = await loadPromptRows(c, tokenizer, io.log);
  const rows = loaded.examples;
  const prompts = rows.map((e) => e.prompt);
  const references = rows.map((e) => e.completion);
  const facts =
    c.judge === 'lab'
      ? readFacts(
          c.data.prompts,
          rows.map((r) => r.row),
        )
      : null;
  const judge = c.judge === 'http' ? httpJudge(c.judgeHttp!) : null;
  io.print(
    `bon: ${prompts.length} prompts, n ∈ {${c.n.join(', ')}}, ${c.calibrationSamples} calibration draws per prompt → ${c.out}`,
  );
  // Both models, the prompts and the sampling noise live on the one device.
  const placement = { device: resolveDevice(c.device), dtype: c.dtype };
  const proxy = await new LabModels(c.maxPromptTokens).loadRewardFunction(c.reward, placement);
  const policy = await LMPolicy.load(c.model, { trainable: false, ...placement });
  const decode = (tokens: number[]) => tokenizer.decode(tokens, { unknownIds: 'skip' });
  const evaluate = (r: BestOfNResult) =>
    judgeTexts({ prompts, references, facts, judge }, r.responses.map(decode));
  const progress = stepProgress('bon', prompts.length, {
    unit: 'prompt',
    print: io.print,
    tty: io.print === defaultPrint && Boolean(process.stdout.isTTY),
  });
  try {
    await withDefaultDevice(placement.device, () =>
      runBestOfN({
        runDir: c.out,
        name: c.name ?? basename(c.out),
        config: c,
        labels: c.modelLabel ? { model: c.modelLabel, seed: c.seed } : { seed: c.seed },
        policy,
        reward: proxy.reward,
        prompts: promptSource(tokenizer, prompts, c.maxPromptTokens),
        n: c.n,
        temperature: c.temperature,
        maxNewTokens: c.maxNewTokens,
        missingEosPenalty: c.missingEosPenalty,
        calibrationSamples: c.calibrationSamples,
        batchSize: c.batchSize,
        seed: c.seed,
        decode,
        evaluate: facts || judge ? evaluate : undefined,
        log: io.print,
        onPrompts: (done) => progress.update(done, ''),
      }),
    );
  } finally {
    progress.stop();
    policy.model.dispose();
    proxy.model.dispose();
  }
  io.print(`run folder: ${c.out}`);
  return c.out;
}
