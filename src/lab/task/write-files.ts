/**
 * Writes the lab task's files in the layout and field names of the public TL;DR sets:
 *   sft_train.jsonl, sft_eval.jsonl                 query / reference_response (+ facts)
 *   preference_train.jsonl, preference_eval.jsonl   prompt / chosen / rejected (+ facts, kinds, gold)
 *   tokenizer.json, tokenizer_config.json           the lab tokenizer
 * One JSON object per line, keys in a fixed order, so the same seed writes byte-identical files.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LabDataset } from './dataset.ts';
import type { LabPreferenceRow } from './preference-pairs.ts';
import { buildLabTokenizerConfig, buildLabTokenizerJson } from './tokenizer-json.ts';

/** File names written by this module. */
export const LAB_FILES = {
  sftTrain: 'sft_train.jsonl',
  sftEval: 'sft_eval.jsonl',
  preferenceTrain: 'preference_train.jsonl',
  preferenceEval: 'preference_eval.jsonl',
  tokenizer: 'tokenizer.json',
  tokenizerConfig: 'tokenizer_config.json',
} as const;

/** JSON Lines text: one compact object per line, newline-terminated. */
export function toJsonl(rows: readonly object[]): string {
  return rows.map((row) => `${JSON.stringify(row)}\n`).join('');
}

async function writeText(dir: string, name: string, text: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, name);
  await writeFile(path, text, 'utf8');
  return path;
}

/** Writes `sft_train.jsonl` and `sft_eval.jsonl`; returns their paths. */
export async function writeSftFiles(dir: string, dataset: LabDataset): Promise<string[]> {
  return [
    await writeText(dir, LAB_FILES.sftTrain, toJsonl(dataset.train)),
    await writeText(dir, LAB_FILES.sftEval, toJsonl(dataset.eval)),
  ];
}

/** Writes one split of preference rows (`preference_train.jsonl` or `preference_eval.jsonl`). */
export async function writePreferenceFile(
  dir: string,
  split: 'train' | 'eval',
  rows: readonly LabPreferenceRow[],
): Promise<string> {
  const name = split === 'train' ? LAB_FILES.preferenceTrain : LAB_FILES.preferenceEval;
  return writeText(dir, name, toJsonl(rows));
}

/** Writes `tokenizer.json` and `tokenizer_config.json`; returns their paths. */
export async function writeLabTokenizerFiles(dir: string): Promise<string[]> {
  return [
    await writeText(dir, LAB_FILES.tokenizer, `${JSON.stringify(buildLabTokenizerJson(), null, 2)}\n`),
    await writeText(
      dir,
      LAB_FILES.tokenizerConfig,
      `${JSON.stringify(buildLabTokenizerConfig(), null, 2)}\n`,
    ),
  ];
}
