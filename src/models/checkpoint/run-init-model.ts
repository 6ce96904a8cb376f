/** The `init-model` command: writes a randomly initialised named model as an HF snapshot. */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type InitModelResult, initModel } from './init-model.ts';

export interface RunInitModelArgs {
  /** A named configuration: pythia-tiny, pythia-small, pythia-14m … pythia-12b. */
  config: string;
  /** Output folder. */
  out: string;
  seed: number;
  /** A tokenizer.json file or a folder holding one (default: byte-level BPE without merges). */
  tokenizer?: string;
  /** Where the weights are drawn (each device's generator gives its own weights for a seed); default cpu. */
  device?: string;
}

async function readTokenizerJson(path: string): Promise<object> {
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, 'tokenizer.json') : path;
  try {
    return JSON.parse(await readFile(file, 'utf8')) as object;
  } catch (e) {
    throw new Error(`cannot read tokenizer ${file}: ${(e as Error).message}`);
  }
}

/** Runs the command; prints one summary line through `print`. */
export async function runInitModel(
  args: RunInitModelArgs,
  print: (line: string) => void = (l) => console.log(l),
): Promise<InitModelResult> {
  const tokenizerJson = args.tokenizer ? await readTokenizerJson(args.tokenizer) : undefined;
  const result = await initModel(args.config, args.out, {
    seed: args.seed,
    tokenizerJson,
    device: args.device,
  });
  const c = result.config;
  print(
    `${args.config}: ${result.parameterCount.toLocaleString('en-US')} parameters ` +
      `(hidden ${c.hiddenSize}, ${c.numHiddenLayers} layers, ${c.numAttentionHeads} heads, vocab ${c.vocabSize}) → ${args.out}`,
  );
  return result;
}
