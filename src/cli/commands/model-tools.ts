/**
 * `maxent-rlhf init-model` and `maxent-rlhf generate`: thin wrappers over src/models'
 * runInitModel / runGenerate that turn command-line strings into checked arguments.
 */
import { type RunGenerateArgs, runGenerate, runInitModel } from '../../models/index.ts';
import { deviceProblem, resolveDevice } from '../../tensor/index.ts';

/** The device a --device flag names here, or an error naming the flag. */
function deviceFlag(setting: string | undefined): string {
  const problem = deviceProblem(setting ?? 'auto');
  if (problem) throw new Error(`--device ${problem}`);
  return resolveDevice(setting ?? 'auto');
}

export interface InitModelCommandOptions {
  config: string;
  out: string;
  seed: number;
  tokenizer?: string;
  device?: string;
}

export async function runInitModelCommand(options: InitModelCommandOptions): Promise<void> {
  await runInitModel({
    config: options.config,
    out: options.out,
    seed: options.seed,
    tokenizer: options.tokenizer,
    device: deviceFlag(options.device),
  });
}

/** `generate`'s flags: runGenerate's arguments, with the prompts as repeatable text flags. */
export interface GenerateCommandOptions extends Omit<RunGenerateArgs, 'prompt' | 'promptIds' | 'dtype'> {
  prompt: string[];
  /** Each a comma-separated row of token ids. */
  promptIds: string[];
}

/** "1,2,3" → [1, 2, 3]; anything but comma-separated non-negative integers is an error. */
export function parseIdList(text: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.some((p) => !/^\d+$/.test(p)))
    throw new Error(`--prompt-ids expects comma-separated token ids like 1,2,3, got "${text}"`);
  return parts.map(Number);
}

export async function runGenerateCommand(options: GenerateCommandOptions): Promise<void> {
  const texts = options.prompt;
  const ids = options.promptIds.map(parseIdList);
  if (texts.length > 0 === ids.length > 0)
    throw new Error('give --prompt TEXT or --prompt-ids 1,2,3 (either may repeat), not both and not neither');
  const sampling = [
    options.temperature !== undefined && '--temperature',
    options.topK !== undefined && '--top-k',
    options.topP !== undefined && '--top-p',
  ].filter(Boolean);
  if (options.greedy && sampling.length)
    throw new Error(`--greedy takes the most likely token: ${sampling.join(', ')} would be ignored`);
  const { prompt: _texts, promptIds: _ids, ...rest } = options;
  await runGenerate({
    ...rest,
    ...(texts.length ? { prompt: texts } : { promptIds: ids }),
    device: deviceFlag(options.device),
  });
}
