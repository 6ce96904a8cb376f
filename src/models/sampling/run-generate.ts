/**
 * The `generate` command: loads an HF snapshot folder (model + tokenizer), generates for each prompt
 * and prints either the text or, with `json`, one JSON object per prompt:
 * { prompt_ids, generated_ids, text, logprobs, sampling_logprobs } where `logprobs` are the raw
 * policy's (temperature 1) and `sampling_logprobs` those of the distribution actually sampled.
 *
 * Before generating it checks what the model can read (model-limits.ts): prompt ids within its
 * embedding, prompts within its positions, finite weights. Words outside the vocabulary (which
 * become the unknown token) and generations running past the trained positions are warnings, and
 * errors with `strict`.
 */
import { join } from 'node:path';
import { tensor, tidy } from '../../tensor/index.ts';
import { loadCausalLM } from '../checkpoint/load-model.ts';
import { CONFIG_FILE } from '../gptneox/snapshot-files.ts';
import type { ModelConfig } from '../model-family.ts';
import {
  assertFiniteWeights,
  assertPositionsFit,
  assertVocabularyFits,
  positionsMessage,
} from '../model-limits.ts';
import { Tokenizer } from '../tokenizer/index.ts';
import { TOKENIZER_FILE } from '../tokenizer/tokenizer-files.ts';
import { type Generation, generate } from './generate.ts';
import { samplingNoise } from './sampling-noise.ts';

export interface RunGenerateArgs {
  /** Snapshot folder. */
  model: string;
  prompt?: string | string[];
  /** Token ids instead of text (one row or several). */
  promptIds?: number[] | number[][];
  greedy?: boolean;
  temperature?: number;
  topK?: number;
  topP?: number;
  maxNewTokens: number;
  seed: number;
  json?: boolean;
  /** Unknown words and generations past the model's positions are errors instead of warnings. */
  strict?: boolean;
  dtype?: 'float32' | 'bfloat16';
  device?: string;
}

export interface GeneratedRecord {
  prompt_ids: number[];
  generated_ids: number[];
  text: string;
  logprobs: number[];
  sampling_logprobs: number[];
}

function promptRows(args: RunGenerateArgs, tokenizer: Tokenizer, warn: (msg: string) => void): number[][] {
  if (args.promptIds !== undefined && args.prompt !== undefined)
    throw new Error('give prompt or promptIds, not both');
  if (args.promptIds !== undefined) {
    const ids = args.promptIds;
    return ids.length > 0 && Array.isArray(ids[0]) ? (ids as number[][]) : [ids as number[]];
  }
  if (args.prompt === undefined) throw new Error('give a prompt (text) or promptIds');
  const texts = Array.isArray(args.prompt) ? args.prompt : [args.prompt];
  texts.forEach((text, i) => {
    const unknown = tokenizer.unknownPieces(text);
    if (unknown.length === 0) return;
    const shown = unknown.slice(0, 8).map((w) => JSON.stringify(w));
    const message =
      `prompt ${i + 1}: ${unknown.length} word(s) not in the vocabulary of ${join(args.model, TOKENIZER_FILE)} ` +
      `become the unknown token ${tokenizer.idToToken(tokenizer.unkId!)}: ${shown.join(', ')}${unknown.length > 8 ? ', …' : ''}`;
    if (args.strict) throw new Error(`${message} (--strict)`);
    warn(`warning: ${message} (--strict makes this an error)`);
  });
  return texts.map((t) => tokenizer.encode(t));
}

/** Prompt ids the embedding lacks, prompts longer than the positions: errors naming the flag. */
function checkPrompts(
  rows: number[][],
  args: RunGenerateArgs,
  tokenizer: Tokenizer,
  config: ModelConfig,
  warn: (msg: string) => void,
): void {
  const flag = args.promptIds !== undefined ? '--prompt-ids' : '--prompt';
  rows.forEach((row, i) => {
    const bad = row.find((id) => !Number.isInteger(id) || id < 0 || id >= config.vocabSize);
    if (bad !== undefined)
      throw new Error(
        `${flag} ${i + 1}: token id ${bad} is beyond the vocabulary: the model ${args.model} embeds ` +
          `${config.vocabSize} ids (vocab_size in ${join(args.model, CONFIG_FILE)}); its tokenizer ` +
          `${join(args.model, TOKENIZER_FILE)} has ${tokenizer.vocabSize} tokens`,
      );
    assertPositionsFit(row.length, `${flag} ${i + 1} (${row.length} tokens)`, config, args.model);
    const total = row.length + args.maxNewTokens;
    if (total <= config.maxPositionEmbeddings) return;
    const message = positionsMessage(
      total,
      `${flag} ${i + 1} (${row.length} tokens) with --max-new-tokens ${args.maxNewTokens}`,
      config,
      args.model,
    );
    if (args.strict) throw new Error(`${message} (--strict)`);
    warn(`warning: ${message}; lower --max-new-tokens (--strict makes this an error)`);
  });
}

function leftPad(rows: number[][], padId: number): { ids: number[][]; mask: number[][] } {
  const width = rows.reduce((m, r) => Math.max(m, r.length), 0);
  if (rows.some((r) => r.length === 0)) throw new Error('every prompt needs at least one token');
  return {
    ids: rows.map((r) => [...new Array<number>(width - r.length).fill(padId), ...r]),
    mask: rows.map((r) => [...new Array<number>(width - r.length).fill(0), ...r.map(() => 1)]),
  };
}

function records(rows: number[][], g: Generation, tokenizer: Tokenizer): GeneratedRecord[] {
  const R = g.tokens.dim(1);
  const tokens = g.tokens.toArray();
  const valid = g.responseMask.toArray();
  const logps = g.policyLogProbs.toArray();
  const sampling = g.samplingLogProbs.toArray();
  return rows.map((promptIds, b) => {
    const keep = (xs: number[]) => xs.slice(b * R, (b + 1) * R).filter((_, t) => valid[b * R + t] === 1);
    const generated = keep(tokens);
    return {
      prompt_ids: promptIds,
      generated_ids: generated,
      text: tokenizer.decode(generated, { skipSpecialTokens: true, unknownIds: 'skip' }),
      logprobs: keep(logps),
      sampling_logprobs: keep(sampling),
    };
  });
}

/** Runs the command; each prompt's result is printed through `print` and returned. */
export async function runGenerate(
  args: RunGenerateArgs,
  print: (line: string) => void = (l) => console.log(l),
  warn: (msg: string) => void = (m) => console.error(m),
): Promise<GeneratedRecord[]> {
  const tokenizer = await Tokenizer.fromFolder(args.model);
  const model = await loadCausalLM(args.model, { dtype: args.dtype, device: args.device });
  try {
    assertVocabularyFits(tokenizer, args.model, model.config, args.model);
    assertFiniteWeights(model.parameters(), args.model);
    const rows = promptRows(args, tokenizer, warn);
    checkPrompts(rows, args, tokenizer, model.config, warn);
    const out = tidy(() => {
      const padded = leftPad(rows, tokenizer.padId);
      const device = args.device ?? 'cpu';
      // Keyed by (seed, prompt): a prompt's continuation does not depend on the other prompts.
      const noise = args.greedy
        ? undefined
        : samplingNoise(
            rows.map((_, i) => ({ seed: args.seed, step: 0, prompt: i, sample: 0 })),
            args.maxNewTokens,
            device,
          );
      const ids = tensor(padded.ids, { dtype: 'int64', device });
      const mask = tensor(padded.mask, { dtype: 'int64', device });
      const g = generate(
        model,
        { ids, mask },
        {
          greedy: args.greedy,
          temperature: args.temperature,
          topK: args.topK,
          topP: args.topP,
          maxNewTokens: args.maxNewTokens,
          eosId: tokenizer.eosId,
          padId: tokenizer.padId,
          noise,
        },
      );
      return records(rows, g, tokenizer);
    });
    for (const r of out) print(args.json ? JSON.stringify(r) : r.text);
    return out;
  } finally {
    model.dispose();
  }
}
